import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codecs, type Classified } from '@mod/contracts';
import { insertSubmission, recordScannedVerdict } from '@mod/db/submissions';
import type { ConsumedMessage } from '@mod/kafka';
import { defaultPolicy } from '@mod/policy';
import { Counter, createLogger } from '@mod/telemetry';
import { createTestSchema, seedTenants, whileDisabled, type TestDatabase } from '@mod/testing';
import { createPgActionStore } from './action-store.js';
import { createClassificationStep } from './classification-step.js';
import { checkVerdict } from './verdict-check.js';
import { classificationOf, verdictOf } from './verdicts.test-helper.js';

// A disabled tenant's verdicts and classifier results still on the topics (sent before it was switched off, or
// before its Kafka access was suspended) give it no orders and no review case: the actioner holds them with the
// code the scanner and the fetcher dead-letter its events with. On a real PostgreSQL.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
});
afterAll(async () => db?.drop());

const whileOff = <T>(work: () => Promise<T>) => whileDisabled(db.pool, 'platform-1', work);
const heldForDisabled = { code: 'MOD_ERR_TENANT_DISABLED' };

async function submitted(): Promise<string> {
  const id = randomUUID();
  await insertSubmission(db.pool, {
    id,
    tenantId: 'platform-1',
    source: 'kafka',
    url: null,
    sha256: null,
    bytes: 1,
  });
  return id;
}

describe("the actioner and a disabled tenant's messages", () => {
  it("refuses a verdict on a disabled tenant's submission, and passes it once the tenant is enabled", async () => {
    const v = verdictOf(await submitted(), []);
    expect(await whileOff(() => checkVerdict(db.pool, v))).toMatchObject({ ok: false, ...heldForDisabled });
    expect(await checkVerdict(db.pool, v)).toMatchObject({ ok: true });
  });

  it("opens no review case for a disabled tenant's classifier result; once enabled, the replay opens it", async () => {
    const id = await submitted();
    const v = verdictOf(id, []);
    expect(await recordScannedVerdict(db.pool, v)).toBe(true);
    const step = createClassificationStep({
      store: createPgActionStore(db.pool, { prefix: 't' }),
      policy: defaultPolicy,
      outcomes: new Counter({
        name: 't_classified_total',
        help: 't',
        labelNames: ['outcome'],
        registers: [],
      }),
      logger: createLogger('actioner-test', 'silent'),
    });
    const classified: Classified = {
      eventId: randomUUID(),
      submissionId: id,
      tenantId: 'platform-1',
      sha256: v.hashes.sha256,
      classification: classificationOf(0.92, true),
      classifiedAt: new Date().toISOString(),
      classifierVersion: 'classifier/0.1.0',
    };
    const message: ConsumedMessage = {
      topic: 'mod.classifications.v1',
      partition: 0,
      offset: '0',
      key: id,
      value: Codecs.classified.encode(classified),
      headers: {},
      timestamp: Date.now(),
    };
    const cases = async () =>
      (await db.pool.query('select 1 from cases where submission_id = $1', [id])).rowCount ?? 0;
    expect(await whileOff(() => step(message))).toMatchObject({ kind: 'dlq', ...heldForDisabled });
    expect(await cases()).toBe(0);
    expect(await step(message)).toEqual({ kind: 'ok' });
    expect(await cases()).toBe(1);
  });
});
