import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Pool } from '@mod/db';
import { fileReport, referReport } from '@mod/db/reports';
import { parseSecretKey, sealSecret } from '@mod/people';
import { contactOwner } from './reports/file.js';
import { trackingDigest, newTrackingCode } from './reports/intake.js';
import { DEFAULT_REPORT_SETTINGS, type ReportSettings } from './reports/settings.js';

/** Report settings of the API tests: a contact key, a light proof of work, the default abuse limits. */
export const TEST_REPORT_SETTINGS: ReportSettings = {
  ...DEFAULT_REPORT_SETTINGS,
  contactKey: parseSecretKey(randomBytes(32).toString('base64')),
  formSecret: randomBytes(32),
  powBits: 8,
};

/**
 * A report filed by `tenantId` (hotline channel), of one URL of its own, with sealed contact details; referred to
 * the authority tenant `referredTo` if given (what an authority reads).
 */
export async function seedMatrixReport(
  db: Pool,
  o: { tenantId: string; referredTo?: string },
): Promise<string> {
  const id = randomUUID();
  const key = TEST_REPORT_SETTINGS.contactKey;
  if (key === null) throw new Error('the test report settings have a contact key');
  const now = new Date();
  await fileReport(db, {
    id,
    trackingSha256: trackingDigest(newTrackingCode()),
    channel: 'hotline',
    tenantId: o.tenantId,
    filedBy: 'matrix',
    category: 'other',
    seenWhere: null,
    description: 'matrix',
    language: 'vi',
    urls: [{ href: `https://matrix.example/${id}`, key: `matrix.example/${id}` }],
    receivedAt: now,
    dueAt: new Date(now.getTime() + 86_400_000),
    contact: {
      sealed: sealSecret(key, JSON.stringify({ name: 'Matrix', phone: null, email: null }), contactOwner(id)),
      keyId: key.fingerprint,
      consents: { contact: true, followUp: false },
      deleteAfter: new Date(now.getTime() + 86_400_000),
    },
  });
  if (o.referredTo !== undefined) {
    const by = { actor: { kind: 'service', id: 'matrix' }, role: null, tenantId: null } as const;
    await referReport(db, { reportId: id, authorityTenantId: o.referredTo, reason: 'matrix', by, at: now });
  }
  return id;
}

/** The token of a public form `app` serves in `lang`. */
export async function formTokenOf(app: FastifyInstance, lang = 'vi'): Promise<string> {
  const page = await app.inject({ method: 'GET', url: `/report?lang=${lang}` });
  return /name="token" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
}

/** Posts the public form as a browser does, from the address `from`, to the page of its (switched) language. */
export const postForm = async (
  app: FastifyInstance,
  fields: Record<string, string>,
  from: string,
  headers: Record<string, string> = {},
): Promise<{ statusCode: number; body: string }> =>
  app.inject({
    method: 'POST',
    url: `/report?lang=${fields['switchLang'] ?? fields['lang'] ?? 'vi'}`,
    remoteAddress: from,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(fields).toString(),
  });

/** What a form page shows: its status, and the tracking code or the refusal's code. */
export const formShown = (res: { statusCode: number; body: string }): [number, string | undefined] => [
  res.statusCode,
  /id="tracking-code">([0-9A-Z-]+)</.exec(res.body)?.[1] ??
    /<p class="code">([A-Z_]+)<\/p>/.exec(res.body)?.[1],
];

/** Reports filed so far in `db`'s schema (the audit's report.filed records). */
export const reportsFiled = async (db: Pool): Promise<number> =>
  Number(
    (
      await db.query<{ n: string }>(
        `select count(*) as n from audit_records where record::jsonb->>'action' = 'report.filed'`,
      )
    ).rows[0]?.n,
  );
