import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBankProposal } from './bank-proposals.js';
import { migrate } from './migrate.js';
import { openCase } from './order-cases.js';
import { createPerson } from './people.js';
import { claimReviewCase } from './review-cases.js';
import { countReveal, saveReviewSettings } from './review-settings.js';
import { insertSubmission } from './submissions.js';
import { upsertTenant } from './tenants.js';
import { insertNegativeBank } from './bank-proposals.test-helper.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';
import { useSchemaBeforeMigration } from './old-migrations.test-helper.js';
import type { Queryable } from './pool.js';

// Migration 0020: the person columns of review cases, bank proposals, review settings and the exposure counter
// reference people. On a fresh schema (every migration) and on one whose rows 0019 already wrote as text.

const t0 = new Date('2026-03-01T00:00:00Z');
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA';

async function person(db: Queryable, login: string): Promise<string> {
  const made = await createPerson(db, {
    tenantId: 'hotline-h',
    login,
    displayName: login,
    role: 'reviewer',
    passwordHash: HASH,
    passwordExpiresAt: t0,
    createdBy: 'modctl:operator',
  });
  if (!made.ok) throw new Error(`person ${login}: ${made.reason}`);
  return made.person.id;
}

async function reviewCase(db: Queryable): Promise<string> {
  const submissionId = randomUUID();
  await insertSubmission(db, {
    id: submissionId,
    tenantId: 'plat-a',
    source: 'api',
    sha256: 'a'.repeat(64),
    bytes: 1,
  });
  const { id } = await openCase(db, {
    kind: 'review',
    submissionId,
    orderIds: [],
    reason: 'suspected',
    evidence: {},
    policyVersion: 'p1',
    createdAt: t0,
  });
  return id;
}

async function tenants(db: Queryable): Promise<void> {
  await upsertTenant(db, { id: 'plat-a', kind: 'platform', name: 'a', subscribedToBlocking: false });
  await upsertTenant(db, { id: 'hotline-h', kind: 'hotline', name: 'h', subscribedToBlocking: false });
}

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (err: unknown) => (err as { code?: string }).code,
  );

describe('migration 0020 on a fresh schema', () => {
  let db: TestDatabase;
  let ana: string;
  beforeAll(async () => {
    db = await createTestSchema();
    await tenants(db.pool);
    ana = await person(db.pool, 'ana.reviewer');
  });
  afterAll(async () => db?.drop());

  it('makes every person column a uuid referencing people', async () => {
    const { rows } = await db.pool.query<{ table_name: string; column_name: string; data_type: string }>(
      `select table_name, column_name, data_type from information_schema.columns
       where table_schema = $1 and (table_name, column_name) in (('cases', 'claimed_by'), ('cases', 'decided_by'),
         ('bank_proposals', 'proposed_by'), ('bank_proposals', 'decided_by'), ('review_settings', 'person_id'),
         ('review_exposure', 'person_id'), ('cases', 'closed_by'), ('people', 'created_by'))
       order by table_name, column_name`,
      [db.schema],
    );
    expect(rows.map((r) => [r.table_name, r.column_name, r.data_type])).toEqual([
      ['bank_proposals', 'decided_by', 'uuid'],
      ['bank_proposals', 'proposed_by', 'uuid'],
      ['cases', 'claimed_by', 'uuid'],
      // The order-history label of who closed a case, and who made an account (a person, a key, an operator).
      ['cases', 'closed_by', 'text'],
      ['cases', 'decided_by', 'uuid'],
      ['people', 'created_by', 'text'],
      ['review_exposure', 'person_id', 'uuid'],
      ['review_settings', 'person_id', 'uuid'],
    ]);
  });

  it('refuses a person who does not exist, and deleting a person the records name', async () => {
    const caseId = await reviewCase(db.pool);
    const claim = (claimedBy: string) =>
      claimReviewCase(db.pool, caseId, {
        claimedBy,
        claimedAt: t0,
        claimExpiresAt: new Date(t0.getTime() + 60_000),
      });
    expect(await codeOf(claim(randomUUID()))).toBe('23503');
    expect(await codeOf(claim('not-a-person-id'))).toBe('22P02');
    expect(await claim(ana)).toBe(true);

    const bank = await insertNegativeBank(db.pool);
    const proposal = (proposedBy: string) =>
      insertBankProposal(db.pool, {
        caseId,
        bankId: bank.id,
        tenantId: 'plat-a',
        entries: [{ signal: 'sha256', value: 'a'.repeat(64), category: null }],
        note: null,
        proposedBy,
        proposedAt: t0,
      });
    expect(await codeOf(proposal(randomUUID()))).toBe('23503');
    expect((await proposal(ana)).created).toBe(true);

    const nobody = randomUUID();
    const settings = { previewBlur: true, previewMaxSide: 256 };
    expect(await codeOf(saveReviewSettings(db.pool, nobody, settings, t0))).toBe('23503');
    expect(await codeOf(countReveal(db.pool, nobody, '2026-03-01'))).toBe('23503');
    await saveReviewSettings(db.pool, ana, settings, t0);
    expect(await countReveal(db.pool, ana, '2026-03-01')).toBe(1);

    // People are disabled, never deleted: one named by a claim, a proposal or a counter cannot be.
    expect(await codeOf(db.pool.query(`delete from people where id = $1`, [ana]))).toBe('23503');
  });
});

describe('migration 0020 over rows migration 0019 wrote as text', () => {
  const old = useSchemaBeforeMigration(19);

  it('converts the person ids in place and then holds them to people', async () => {
    const before = await migrate(old.db.pool, old.db.schema, old.oldDir);
    expect(before.at(-1)).toBe(19);
    await tenants(old.db.pool);
    const ana = await person(old.db.pool, 'ana.reviewer');
    const caseId = await reviewCase(old.db.pool);
    await old.db.pool.query(
      `update cases set claimed_by = $2, claimed_at = $3, claim_expires_at = $3 where id = $1`,
      [caseId, ana, t0],
    );
    await old.db.pool.query(`insert into review_settings (person_id, updated_at) values ($1, $2)`, [ana, t0]);
    await old.db.pool.query(
      `insert into review_exposure (person_id, day, reveals) values ($1, '2026-03-01', 3)`,
      [ana],
    );

    // 0020 first (later migrations follow it).
    expect((await migrate(old.db.pool, old.db.schema))[0]).toBe(20);
    const { rows } = await old.db.pool.query<{ claimed_by: string }>(
      `select claimed_by from cases where id = $1`,
      [caseId],
    );
    expect(rows[0]?.claimed_by).toBe(ana);
    expect(await countReveal(old.db.pool, ana, '2026-03-01')).toBe(4);
    expect(await codeOf(countReveal(old.db.pool, randomUUID(), '2026-03-01'))).toBe('23503');
  });
});
