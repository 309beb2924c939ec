import { afterEach, beforeEach } from 'vitest';
import { generateSigningKeyPair, loadSigningKey, type SigningKey } from '@mod/audit';
import type { AuditEntry } from './domains/audit.js';
import { withTransaction } from './index.js';
import { signTreeHeadIfDue } from './audit-signer.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';

/** The schema and the tree-head signing key `useAuditSchema` made for the current test. */
export let db: TestDatabase;
export let key: SigningKey;

/**
 * A fresh migrated schema and a new signing key before each test of the file, the schema dropped after it. A
 * `beforeEach` of the file registered after this call runs once both are there.
 */
export function useAuditSchema(): void {
  beforeEach(async () => {
    db = await createTestSchema();
    key = loadSigningKey(generateSigningKeyPair().privateKeyPem);
  });
  afterEach(async () => {
    await db.drop();
  });
}

/**
 * Record `i` of a test log: the actioner's verdict on submission `sub-<i>` (reason `record <i>`), with an image
 * digest given as it is and a hits document, and `extra` over it.
 */
export const auditEntry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: { kind: 'service', id: 'actioner' },
  action: 'verdict.recorded',
  subject: { type: 'submission', id: `sub-${i}` },
  reason: `record ${i}`,
  evidence: { sha256: (i + 1).toString(16).padStart(64, '0'), hits: [{ bankId: `bank-${i % 3}` }] },
  versions: { policy: '1' },
  ...extra,
});

/** Signs a head over the whole stored log now, whatever the schedule. */
export const signNow = () =>
  signTreeHeadIfDue(db.pool, {
    key,
    schedule: { everyRecords: 1_000_000, everyMs: 3_600_000 },
    topic: null,
    force: true,
  });

/** As the database owner: run `sql` with the append-only triggers of `table` disabled. */
export async function tamper(table: string, sql: string): Promise<void> {
  await withTransaction(db.pool, async (c) => {
    await c.query(`alter table ${table} disable trigger user`);
    await c.query(sql);
    await c.query(`alter table ${table} enable trigger user`);
  });
}

/** As the database owner: cut the log back to its first `size` records, every node past them removed. */
export async function cutBackTo(size: number): Promise<void> {
  await tamper('audit_records', `delete from audit_records where seq >= ${size}`);
  await tamper('audit_evidence', `delete from audit_evidence where seq >= ${size}`);
  await tamper('audit_texts', `delete from audit_texts where seq >= ${size}`);
  await tamper('audit_merkle_nodes', `delete from audit_merkle_nodes where ((idx + 1) << level) > ${size}`);
  await tamper('audit_tree_size', `update audit_tree_size set size = ${size}`);
}
