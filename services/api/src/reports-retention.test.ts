import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { fileReport, readReportContact } from '@mod/db/reports';
import { createLogger } from '@mod/telemetry';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { applyContactRetention } from './reports/retention.js';

/**
 * Lowering REPORT_CONTACT_RETENTION_DAYS reaches contact details already stored: at start the API brings each one's
 * deletion time within the setting counted from its report's receipt (the actioner's pass then deletes those due),
 * and puts how many on the audit record.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestSchema();
});
afterAll(async () => db?.drop());

const DAY = 86_400_000;
const logger = createLogger('reports-retention-test', 'silent');

async function fileWithContact(receivedAt: Date, retentionDays: number): Promise<string> {
  const { id } = await fileReport(db.pool, {
    trackingSha256: crypto.randomUUID().replace(/-/g, '').padEnd(64, '0'),
    channel: 'web',
    tenantId: 'public-reports',
    filedBy: null,
    category: 'other',
    seenWhere: null,
    description: null,
    language: 'vi',
    urls: [
      {
        href: `https://retention.example/${receivedAt.getTime()}`,
        key: `retention.example/${receivedAt.getTime()}`,
      },
    ],
    receivedAt,
    dueAt: new Date(receivedAt.getTime() + DAY),
    contact: {
      sealed: Buffer.from('sealed elsewhere'),
      keyId: 'k1',
      consents: { contact: true, followUp: false },
      deleteAfter: new Date(receivedAt.getTime() + retentionDays * DAY),
    },
  });
  return id;
}

const deleteAfter = async (id: string) =>
  (
    await db.pool.query<{ delete_after: Date }>(
      'select delete_after from report_contacts where report_id = $1',
      [id],
    )
  ).rows[0]?.delete_after;

const retentionAudits = async () =>
  (await listAudit(db.pool, { limit: 100_000 })).filter(
    (r) => r.action === 'report.contact.retention_shortened',
  );

describe('applyContactRetention', () => {
  it('shortens what a longer setting kept, from each report receipt, never lengthens, and audits it', async () => {
    const now = Date.now();
    const old = await fileWithContact(new Date(now - 100 * DAY), 365);
    const recent = await fileWithContact(new Date(now - 10 * DAY), 365);
    const short = await fileWithContact(new Date(now - 10 * DAY), 7);
    expect(await applyContactRetention(db.pool, 90, logger)).toBe(2);
    expect((await deleteAfter(old))?.getTime()).toBe(now - 10 * DAY);
    expect((await deleteAfter(recent))?.getTime()).toBe(now + 80 * DAY);
    expect((await deleteAfter(short))?.getTime()).toBe(now - 3 * DAY);
    expect(await readReportContact(db.pool, old)).not.toBeNull();
    const [record, ...more] = await retentionAudits();
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      actor: { kind: 'service', id: 'api' },
      reason: 'REPORT_CONTACT_RETENTION_DAYS is 90',
    });
    expect(Object.keys(record!.evidence).sort()).toEqual(['contacts', 'retentionDays']);
    // Started again with the same setting: nothing to shorten, nothing on record.
    expect(await applyContactRetention(db.pool, 90, logger)).toBe(0);
    expect(await retentionAudits()).toHaveLength(1);
  });
});
