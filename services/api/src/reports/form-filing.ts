import { PUBLIC_REPORTS_TENANT, takeFormToken } from '@mod/db/reports';
import { ApiError } from '../errors.js';
import type { FiledReport, ReportFiling } from './file.js';
import { formTokenReplayKey, type FormTokens, type UsedFormTokens } from './form-token.js';
import { reportError, ReportErrorCode, type CheckedReport } from './intake.js';
import type { ReportSettings } from './settings.js';

/** Who files the public form's reports: the public, through the form's service. */
const FORM_FILER = {
  channel: 'web',
  tenantId: PUBLIC_REPORTS_TENANT,
  filedBy: null,
  audit: { actor: { kind: 'service', id: 'report-form' } },
} as const;

/**
 * Files the public form's report under its one-time token, which the caller checked is genuine and fresh. A report
 * `check` refuses spends the token (a form is good for one try: put right, it needs a new form), and is refused
 * the same way when that form is sent again.
 *
 * Send pressed twice without JavaScript posts the same form twice, and the browser shows the answer to the second:
 * that must be the first report's page (201, its tracking code), not "the form expired" (the citizen would send it
 * once more). So a report is filed under the token's Idempotency-Key (`formTokenReplayKey`), its answer kept sealed
 * as for the API's channels, and the token is taken in the filing's transaction, once the key is: a second post
 * waits on the key until the first's filing ends, then answers it again, whichever of the two came first. The same
 * token with another report is refused (expired), as it was. Without the contact key no first answer can be kept
 * (the tracking code is kept only sealed): a second post waits on the token's row, then is told the form was sent.
 */
export async function fileWithFormToken(
  a: {
    filing: ReportFiling;
    tokens: FormTokens;
    settings: ReportSettings;
    token: string;
    nowMs: number;
    lang: 'vi' | 'en';
  },
  check: () => CheckedReport,
): Promise<FiledReport> {
  const take = async (used?: UsedFormTokens) => {
    const taken = await a.tokens.take(a.token, a.nowMs, used);
    if (taken !== 'ok') throw reportError(ReportErrorCode.FormExpired, `the form token is ${taken}`);
  };
  let checked: CheckedReport;
  try {
    checked = check();
  } catch (err) {
    // The same form sent again is refused as it was the first time (its token spent by that try), not as expired.
    await a.tokens.take(a.token, a.nowMs);
    throw err;
  }
  const replayKey = a.settings.contactKey === null ? null : formTokenReplayKey(a.token);
  try {
    return await a.filing.file(FORM_FILER, checked, a.lang, replayKey, (c) =>
      take({ take: (nonce, expiresAt) => takeFormToken(c, nonce, expiresAt) }),
    );
  } catch (err) {
    // The token filed another report (409), or one whose kept answer no configured key opens: it was used.
    if (err instanceof ApiError && (err.statusCode === 409 || err.code === ReportErrorCode.ReplayUnavailable))
      throw reportError(ReportErrorCode.FormExpired, 'the form token was used for another report');
    throw err;
  }
}
