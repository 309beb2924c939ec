import { createHash } from 'node:crypto';
import type { ReportReplay } from '@mod/db/reports';
import { openSecret, sealSecret, type SecretKey } from '@mod/people';
import { ApiError } from '../errors.js';
import { reportError, ReportErrorCode, type CheckedReport } from './intake.js';
import { contactKeyFor, type ReportSettings } from './settings.js';

/**
 * How long a report's answer to an Idempotency-Key is kept (sealed) and replayed: a client retrying after a
 * timeout does so within minutes; a day covers a call centre's retry queue. Then the actioner's pass deletes it and
 * the key files a new report.
 */
export const REPORT_IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

/** The answer to a filed report, as kept for a retry with the same Idempotency-Key. */
export interface ReplayedAnswer {
  id: string;
  trackingCode: string;
  dueAt: Date;
  opened: number;
  folded: number;
}

export interface ReplayRequest {
  tenantId: string;
  idempotencyKey: string;
  /** The request's digest (`replayRequestDigest`): a retry repeats the whole request. */
  digest: string;
}

/**
 * What makes a retry "the same request": the filer (channel, tenant, credential or person) and the report as checked
 * (normalised URLs, trimmed texts, contact details, consents) and its language. Only sealed with the answer, never
 * stored readable: it digests the reporter's contact details.
 */
export function replayRequestDigest(
  filer: { channel: string; tenantId: string; filedBy: string | null },
  report: CheckedReport,
  language: string,
): string {
  const request = JSON.stringify([filer.channel, filer.tenantId, filer.filedBy, report, language]);
  return createHash('sha256').update(request).digest('hex');
}

/** The sealed answer's owner: bound to the report, the tenant and the key, so no row's answer opens under another. */
const replayOwner = (reportId: string, r: ReplayRequest) =>
  `report-replay:${JSON.stringify([reportId, r.tenantId, r.idempotencyKey])}`;

/** Seals the answer and the request's digest under the contact key (AES-256-GCM). */
export function sealReplay(key: SecretKey, r: ReplayRequest, a: ReplayedAnswer): Buffer {
  const plain = JSON.stringify({ ...a, dueAt: a.dueAt.toISOString(), request: r.digest });
  return sealSecret(key, plain, replayOwner(a.id, r));
}

/**
 * The first answer to this key again, or 409 MOD_ERR_API_IDEMPOTENCY_CONFLICT when the key was used for another
 * request; 503 MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE when its key is no longer configured. An answer that fails
 * its integrity check throws (500: altered in the database).
 */
export function openReplay(settings: ReportSettings, r: ReplayRequest, kept: ReportReplay): ReplayedAnswer {
  const key = contactKeyFor(settings, kept.keyId);
  if (key === null)
    throw reportError(
      ReportErrorCode.ReplayUnavailable,
      `the first answer to this Idempotency-Key was sealed under key ${kept.keyId}, which is not configured (REPORT_CONTACT_KEY, REPORT_CONTACT_PREVIOUS_KEYS)`,
    );
  const a = JSON.parse(openSecret(key, kept.sealed, replayOwner(kept.reportId, r))) as Omit<
    ReplayedAnswer,
    'dueAt'
  > & { dueAt: string; request: string };
  if (a.request !== r.digest)
    throw new ApiError(
      409,
      'MOD_ERR_API_IDEMPOTENCY_CONFLICT',
      'this Idempotency-Key was used for another report; use a new key for a new report',
    );
  return {
    id: a.id,
    trackingCode: a.trackingCode,
    dueAt: new Date(a.dueAt),
    opened: a.opened,
    folded: a.folded,
  };
}
