import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { openCase } from '@mod/db/orders';
import {
  getReport,
  keepReportReplay,
  moveSubjectToCase,
  readReportContact,
  settleSubject,
  shortenReportContactRetention,
  subjectReportContext,
  takeReportReplayKey,
  type PersonalDataKind,
} from '@mod/db/reports';
import { claimSubmission } from '@mod/db/submissions';
import { createPgEvidenceStore } from '@mod/db/vault';
import { createLogger, createRegistry } from '@mod/telemetry';
import { createTestSchema, seedTenants, type TestDatabase } from '@mod/testing';
import { createMasterKeyring } from '@mod/vault';
import { evidenceToKeep, holdBy } from '@mod/vault/testing/evidence';
import { createManualClock, type ManualClock } from './clock.js';
import { createPersonalDataMetrics, createPersonalDataRetention } from './personal-data-retention.js';
import { fileTestReport, TEST_REPORT_TEXT } from './report-fixtures.test-helper.js';

/**
 * The retention of personal data on a real PostgreSQL, with a clock the test moves: what is erased when, what a
 * report still open or under a legal hold keeps, batches and their audit records. Each test has a schema of its own
 * (the pass counts everything due in it). Submissions take their receipt time from PostgreSQL, so the clock starts
 * at the real time.
 */
const DAY = 86_400_000;
const TEXT = TEST_REPORT_TEXT.description;
let db: TestDatabase;
let clock: ManualClock;
let registry: ReturnType<typeof createRegistry>;
let erased: ReturnType<typeof createPersonalDataMetrics>;

beforeEach(async () => {
  db = await createTestSchema();
  clock = createManualClock(new Date());
  registry = createRegistry('actioner-test');
  erased = createPersonalDataMetrics(registry);
  await seedTenants(db.pool, [
    { id: 'isp-a', kind: 'isp' },
    { id: 'authority-a', kind: 'authority' },
  ]);
});
afterEach(async () => db?.drop());

const retention = (batchSize = 100, maxBatches?: number) =>
  createPersonalDataRetention({
    db: db.pool,
    clock,
    logger: createLogger('personal-data-test', 'silent'),
    erased,
    reportTextDays: 30,
    observedUrlDays: 10,
    batchSize,
    ...(maxBatches === undefined ? {} : { maxBatches }),
  });

const erasedTotal = async (kind: PersonalDataKind) => {
  const line = (await registry.metrics())
    .split('\n')
    .find((l) => l.startsWith(`mod_personal_data_erased_total{kind="${kind}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
};

const file = (url: string, contactDays: number | null = null) =>
  fileTestReport(db.pool, url, clock.now(), contactDays);

/** The report's only subject settles now with no action: the report is handled. */
const handle = (subjectId: string, submissionId: string | null = null) =>
  settleSubject(db.pool, {
    id: subjectId,
    status: 'no-action',
    reason: 'nothing unlawful on the page',
    orderIds: [],
    submissionId,
    owner: 'system:pipeline',
    at: clock.now(),
  });

async function submission(url: string, tenantId = 'isp-a') {
  const id = randomUUID();
  await claimSubmission(db.pool, {
    id,
    tenantId,
    source: 'fetcher',
    url,
    sha256: 'ab'.repeat(32),
    bytes: 10,
  });
  return id;
}

const submissionUrl = async (id: string) =>
  (
    await db.pool.query<{ url: string | null; url_erased_at: Date | null; sha256: string }>(
      'select url, url_erased_at, sha256 from submissions where id = $1',
      [id],
    )
  ).rows[0];

/** The erasure records of `kind`, each with its evidence documents as stored. */
async function erasures(kind: PersonalDataKind) {
  const records = (await listAudit(db.pool, { subjectId: kind })).filter(
    (r) => r.action === 'privacy.erased',
  );
  const docs = await db.pool.query<{ seq: string; name: string; document: string }>(
    'select seq::text, name, document from audit_evidence where seq = any($1::bigint[])',
    [records.map((r) => r.seq)],
  );
  return records.map((r) =>
    Object.fromEntries(
      docs.rows
        .filter((d) => d.seq === String(r.seq))
        .map((d) => [d.name, JSON.parse(d.document) as unknown]),
    ),
  );
}

describe('personal-data retention (real PostgreSQL)', () => {
  it("erases a handled report's description and where-seen REPORT_TEXT_RETENTION_DAYS after its outcome, never an open report's, and keeps the figures", async () => {
    const handled = await file('https://text.example/handled');
    const open = await file('https://text.example/open');
    await handle(handled.subjectId);
    const outcomeAt = clock.now();
    clock.advance(30 * DAY - 1);
    expect((await retention().pass())['report-text']).toBe(0);
    clock.advance(1);
    expect((await retention().pass())['report-text']).toBe(1);
    const after = await getReport(db.pool, handled.id, { all: true });
    expect(after).toMatchObject({
      description: null,
      seenWhere: null,
      status: 'no-action',
      category: 'other',
      channel: 'web',
      outcomeReason: 'nothing unlawful on the page',
      outcomeAt,
    });
    const row = await db.pool.query<{ text_erased_at: Date; tracking_sha256: string }>(
      'select text_erased_at, tracking_sha256 from reports where id = $1',
      [handled.id],
    );
    expect(row.rows[0]?.text_erased_at).toEqual(clock.now());
    expect(row.rows[0]?.tracking_sha256).toMatch(/^[0-9a-f]{64}$/);
    // Still open a thousand days on: a report is never erased before it is handled.
    clock.advance(1000 * DAY);
    expect((await retention().pass())['report-text']).toBe(0);
    expect((await getReport(db.pool, open.id, { all: true }))?.description).toBe(TEXT);
    // Audited: what kind, how many, under which period and which reports; never the text.
    expect(await erasures('report-text')).toEqual([
      { kind: 'report-text', erased: 1, period: "30 days after the report's outcome", ids: [handled.id] },
    ]);
    const leaked = await db.pool.query(
      `select 1 from audit_records where record like '%' || $1 || '%'
       union all select 1 from audit_evidence where document like '%' || $1 || '%'`,
      ['somebody sent'],
    );
    expect(leaked.rows).toEqual([]);
    expect(await erasedTotal('report-text')).toBe(1);
  });

  it("erases the reporters' words copied into their URL's review case once every report of the URL lost its own", async () => {
    const first = await file('https://folded.example/page');
    const second = await file('https://folded.example/page');
    expect(second.subjectId).toBe(first.subjectId);
    const seen = await submission('https://folded.example/page', 'public-reports');
    const context = await subjectReportContext(db.pool, first.subjectId);
    const opened = await openCase(db.pool, {
      kind: 'review',
      submissionId: seen,
      orderIds: [],
      reason: 'citizen report',
      evidence: { source: 'report', report: { subjectId: first.subjectId, ...context } },
      policyVersion: 'test',
      createdAt: clock.now(),
    });
    const at = clock.now();
    await moveSubjectToCase(db.pool, {
      id: first.subjectId,
      caseId: opened.id,
      submissionId: seen,
      at,
      note: 'n',
    });
    await handle(first.subjectId);
    const accounts = async () =>
      (
        await db.pool.query<{ a: unknown }>(
          `select evidence->'report'->'accounts' as a from cases where id = $1`,
          [opened.id],
        )
      ).rows[0]?.a;
    expect(await accounts()).toEqual([
      { channel: 'web', category: 'other', ...TEST_REPORT_TEXT },
      { channel: 'web', category: 'other', ...TEST_REPORT_TEXT },
    ]);
    clock.advance(30 * DAY);
    // One report a pass: the case keeps the words while the other report still has its own.
    expect((await retention(1, 1).pass())['report-text']).toBe(1);
    expect(await accounts()).toHaveLength(2);
    expect(JSON.stringify(await accounts())).toContain(TEXT);
    expect((await retention(1, 1).pass())['report-text']).toBe(1);
    const gone = { channel: 'web', category: 'other', seenWhere: null, description: null };
    expect(await accounts()).toEqual([gone, gone]);
  });

  it("keeps a reporter's contact details past their period while the report is open, and erases them once it is handled", async () => {
    const kept = await file('https://contact.example/kept', 30);
    const due = await file('https://contact.example/due', 1);
    clock.advance(2 * DAY);
    expect((await retention().pass())['reporter-contact']).toBe(0);
    expect(await readReportContact(db.pool, due.id)).not.toBeNull();
    await handle(due.subjectId);
    await handle(kept.subjectId);
    expect((await retention().pass())['reporter-contact']).toBe(1);
    expect(await readReportContact(db.pool, due.id)).toBeNull();
    expect(await readReportContact(db.pool, kept.id)).not.toBeNull();
    // The report stays (only the contact goes), and says it has none now.
    expect((await getReport(db.pool, due.id, { all: true }))?.hasContact).toBe(false);
    expect(await erasures('reporter-contact')).toEqual([
      expect.objectContaining({ kind: 'reporter-contact', erased: 1, ids: [due.id] }),
    ]);
    expect(await erasedTotal('reporter-contact')).toBe(1);
  });

  it('erases contact details kept under a longer retention once a shorter one is set, by when they were received', async () => {
    const before = await file('https://contact.example/long', 90);
    await handle(before.subjectId);
    clock.advance(31 * DAY);
    const fresh = await file('https://contact.example/fresh', 90);
    await handle(fresh.subjectId);
    expect((await retention().pass())['reporter-contact']).toBe(0);
    expect(await shortenReportContactRetention(db.pool, 30)).toBe(2);
    expect((await retention().pass())['reporter-contact']).toBe(1);
    expect(await readReportContact(db.pool, before.id)).toBeNull();
    // The fresh contact goes 30 days after its own receipt, not 90.
    clock.advance(30 * DAY - 1);
    expect((await retention().pass())['reporter-contact']).toBe(0);
    clock.advance(1);
    expect((await retention().pass())['reporter-contact']).toBe(1);
    expect(await readReportContact(db.pool, fresh.id)).toBeNull();
  });

  it("keeps a report's text, contact and URLs while an authority holds its evidence, and erases them once the hold is lifted", async () => {
    const report = await file('https://held.example/page', 1);
    const seen = await submission('https://held.example/page', 'public-reports');
    await handle(report.subjectId, seen);
    const store = createPgEvidenceStore(db.pool, {
      keyring: createMasterKeyring({ current: randomBytes(32).toString('base64') }),
    });
    const { item } = await store.keep(
      evidenceToKeep({ tenantId: 'public-reports', submissionId: seen, at: clock.now() }),
    );
    expect((await store.setLegalHold(item.id, { all: true }, holdBy('authority-a'))).ok).toBe(true);
    clock.advance(400 * DAY);
    expect(await retention().pass()).toEqual({
      'report-text': 0,
      'reporter-contact': 0,
      'report-replay': 0,
      'observed-url': 0,
    });
    expect((await getReport(db.pool, report.id, { all: true }))?.description).toBe(TEXT);
    expect(await readReportContact(db.pool, report.id)).not.toBeNull();
    expect((await submissionUrl(seen))?.url).toBe('https://held.example/page');
    expect((await store.releaseLegalHold(item.id, { all: true }, holdBy('authority-a'))).ok).toBe(true);
    expect(await retention().pass()).toEqual({
      'report-text': 1,
      'reporter-contact': 1,
      'report-replay': 0,
      'observed-url': 1,
    });
    expect((await getReport(db.pool, report.id, { all: true }))?.description).toBeNull();
  });

  it("erases a traffic sample's URL OBSERVED_URL_RETENTION_DAYS after receipt, not while a case is open for it, and keeps its hashes", async () => {
    const plain = await submission('https://isp.example/seen?user=someone');
    const inCase = await submission('https://isp.example/case');
    const opened = await openCase(db.pool, {
      kind: 'review',
      submissionId: inCase,
      orderIds: [],
      reason: 'classifier',
      evidence: {},
      policyVersion: 'test',
      createdAt: clock.now(),
    });
    clock.advance(10 * DAY - 60_000);
    expect((await retention().pass())['observed-url']).toBe(0);
    clock.advance(120_000);
    expect((await retention().pass())['observed-url']).toBe(1);
    expect(await submissionUrl(plain)).toEqual({
      url: null,
      url_erased_at: clock.now(),
      sha256: 'ab'.repeat(32),
    });
    expect((await submissionUrl(inCase))?.url).toBe('https://isp.example/case');
    await db.pool.query(
      `update cases set status = 'closed', closed_at = $2, closed_by = 'test' where id = $1`,
      [opened.id, clock.now()],
    );
    expect((await retention().pass())['observed-url']).toBe(1);
    expect((await submissionUrl(inCase))?.url).toBeNull();
    expect(await erasures('observed-url')).toEqual([
      { kind: 'observed-url', erased: 1, period: '10 days after receipt', ids: [plain] },
      { kind: 'observed-url', erased: 1, period: '10 days after receipt', ids: [inCase] },
    ]);
  });

  it('erases in batches, one audit record each, at most maxBatches a pass; two actioners at once erase each row once', async () => {
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => submission(`https://batch.example/${i}`)),
    );
    clock.advance(11 * DAY);
    expect((await retention(2, 2).pass())['observed-url']).toBe(4);
    expect((await retention(2, 2).pass())['observed-url']).toBe(1);
    expect((await retention(2, 2).pass())['observed-url']).toBe(0);
    const records = await erasures('observed-url');
    expect(records.map((r) => r['erased'])).toEqual([2, 2, 1]);
    expect(records.flatMap((r) => r['ids'] as string[]).sort()).toEqual([...ids].sort());
    expect(await erasedTotal('observed-url')).toBe(5);

    const more = await Promise.all(
      Array.from({ length: 6 }, (_, i) => submission(`https://twice.example/${i}`)),
    );
    clock.advance(11 * DAY);
    const [one, two] = await Promise.all([retention(1).pass(), retention(1).pass()]);
    expect(one['observed-url'] + two['observed-url']).toBe(6);
    const erasedIds = (await erasures('observed-url')).slice(3).flatMap((r) => r['ids'] as string[]);
    expect(erasedIds.sort()).toEqual([...more].sort());
  });

  it('erases the sealed answers kept for Idempotency-Keys when their window ends, and only those', async () => {
    const now = clock.now();
    for (const [key, ms] of [
      ['ending', 1_000],
      ['open', 3_600_000],
    ] as const) {
      const { id } = await file(`https://replay.example/${key}`);
      const take = { tenantId: 'public-reports', idempotencyKey: key, reportId: id, now };
      expect(await takeReportReplayKey(db.pool, { ...take, expiresAt: new Date(now.getTime() + ms) })).toBe(
        'taken',
      );
      await keepReportReplay(db.pool, { ...take, sealed: Buffer.from('sealed elsewhere'), keyId: 'k1' });
    }
    clock.advance(1_000);
    expect((await retention().pass())['report-replay']).toBe(1);
    const left = await db.pool.query('select idempotency_key from report_replays');
    expect(left.rows).toEqual([{ idempotency_key: 'open' }]);
    expect(JSON.stringify(await erasures('report-replay'))).not.toContain('ending');
  });
});
