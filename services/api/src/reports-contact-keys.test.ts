import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@mod/config';
import { parseSecretKey } from '@mod/people';
import { useCallersWorld } from './callers-world.test-helper.js';
import { reportSettingsFromConfig, reportSpec } from './reports/settings.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { errorCodeOf } from './testing.test-helper.js';

/**
 * Rotating the key that seals reporters' contact details: details sealed under the earlier key still open when it
 * is listed in REPORT_CONTACT_PREVIOUS_KEYS, and a key that is no longer configured answers a coded 503 naming it.
 */
const api = useCallersWorld({ hotline: ['hotline-1', 'hotline'] });
/** A person of the hotline: contact details are read by people only. */
let operator: SignedIn;
beforeAll(async () => {
  operator = await signedInPerson(api.db, 'hotline-1', 'hotline', 'contact-operator');
});
const newKey = parseSecretKey(randomBytes(32).toString('base64'));
const earlier = TEST_REPORT_SETTINGS.contactKey!;

describe('GET /v1/reports/:id/contact after a key rotation', () => {
  it('opens details sealed under an earlier key listed as previous; refuses them, naming the key, when it is not', async () => {
    // Sealed under the test settings' key, the one in use before the rotation.
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    const read = (app: Awaited<ReturnType<typeof api.world.build>>) =>
      app.inject({
        method: 'GET',
        url: `/v1/reports/${id}/contact`,
        headers: operator.headers,
      });
    const rotated = await api.world.build({
      reports: { ...TEST_REPORT_SETTINGS, contactKey: newKey, contactPreviousKeys: [earlier] },
    });
    const opened = await read(rotated);
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toMatchObject({ reportId: id, name: 'Matrix' });
    const forgotten = await api.world.build({
      reports: { ...TEST_REPORT_SETTINGS, contactKey: newKey, contactPreviousKeys: [] },
    });
    const refused = await read(forgotten);
    expect(refused.statusCode).toBe(503);
    expect(errorCodeOf(refused)).toBe('MOD_ERR_API_CONTACT_KEY_MISSING');
    expect(refused.json<{ error: { message: string } }>().error.message).toContain(earlier.fingerprint);
    // No key at all: the same answer (contact details are never opened without theirs).
    const none = await api.world.build({ reports: { ...TEST_REPORT_SETTINGS, contactKey: null } });
    const noKey = await read(none);
    expect([noKey.statusCode, errorCodeOf(noKey)]).toEqual([503, 'MOD_ERR_API_CONTACT_KEY_MISSING']);
    // Each failed read is on record, with its code and key, as the successful one is.
    expect(await contactAudit(id)).toEqual([
      { action: 'report.contact.read', reason: null, evidence: { keyId: earlier.fingerprint } },
      ...[1, 2].map(() => ({
        action: 'report.contact.read_failed',
        reason: 'MOD_ERR_API_CONTACT_KEY_MISSING',
        evidence: { keyId: earlier.fingerprint },
      })),
    ]);
  });
});

/** The contact reads on record for a report, in order; their records never carry the details themselves. */
async function contactAudit(
  reportId: string,
): Promise<{ action: string; reason: string | null; evidence: unknown }[]> {
  // A record's reason is kept beside it (audit_texts), committed to by its hashed bytes.
  const { rows } = await api.db.query<{ record: string; reason: string | null }>(
    `select r.record, t.text as reason from audit_records r
       left join audit_texts t on t.seq = r.seq and t.field = 'reason'
     where r.record::jsonb #>> '{subject,id}' = $1 and r.record::jsonb ->> 'action' like 'report.contact.%'
     order by r.seq`,
    [reportId],
  );
  for (const r of rows) expect(`${r.record} ${r.reason ?? ''}`).not.toContain('Matrix');
  return rows.map((r) => {
    const { action, evidence, ...rest } = JSON.parse(r.record) as {
      action: string;
      reason: string | null;
      evidence: unknown;
    };
    const reason = r.reason ?? rest.reason;
    return { action, reason, evidence };
  });
}

describe('GET /v1/reports/:id/contact of details that do not open', () => {
  it('answers a coded 500 for altered or moved details and audits the attempt without their content', async () => {
    const [altered, moved] = [
      await seedMatrixReport(api.db, { tenantId: 'hotline-1' }),
      await seedMatrixReport(api.db, { tenantId: 'hotline-1' }),
    ];
    // One byte of the ciphertext changed; another report's sealed details copied over (bound to that report).
    await api.db.query(
      `update report_contacts set sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) where report_id = $1`,
      [altered],
    );
    const other = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    await api.db.query(
      `update report_contacts set sealed = (select sealed from report_contacts where report_id = $2)
         where report_id = $1`,
      [moved, other],
    );
    const app = await api.world.build({ reports: TEST_REPORT_SETTINGS });
    for (const id of [altered, moved]) {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/reports/${id}/contact`,
        headers: operator.headers,
      });
      expect([res.statusCode, errorCodeOf(res)], id).toEqual([500, 'MOD_ERR_API_CONTACT_TAMPERED']);
      expect(res.body).not.toContain('Matrix');
      expect(await contactAudit(id)).toEqual([
        {
          action: 'report.contact.read_failed',
          reason: 'MOD_ERR_API_CONTACT_TAMPERED',
          evidence: { keyId: earlier.fingerprint },
        },
      ]);
    }
    // The intact one still opens.
    const intact = await app.inject({
      method: 'GET',
      url: `/v1/reports/${other}/contact`,
      headers: operator.headers,
    });
    expect(intact.json()).toMatchObject({ reportId: other, name: 'Matrix' });
  });
});

describe('REPORT_CONTACT_PREVIOUS_KEYS', () => {
  it('reads earlier keys, comma-separated, and refuses a bad one without printing it', () => {
    const [a, b] = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')];
    const settings = reportSettingsFromConfig(
      loadConfig(reportSpec, { REPORT_CONTACT_PREVIOUS_KEYS: ` ${a}, ${b} ,` }),
    );
    expect(settings.contactPreviousKeys.map((k) => k.fingerprint)).toEqual([
      parseSecretKey(a).fingerprint,
      parseSecretKey(b).fingerprint,
    ]);
    expect(reportSettingsFromConfig(loadConfig(reportSpec, {})).contactPreviousKeys).toEqual([]);
    const short = randomBytes(16).toString('base64');
    expect(() => loadConfig(reportSpec, { REPORT_CONTACT_PREVIOUS_KEYS: `${a},${short}` })).toThrow(
      /REPORT_CONTACT_PREVIOUS_KEYS.*32-byte random keys/,
    );
    let message = '';
    try {
      loadConfig(reportSpec, { REPORT_CONTACT_PREVIOUS_KEYS: short });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/REPORT_CONTACT_PREVIOUS_KEYS/);
    expect(message).not.toContain(short);
  });
});
