import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '@mod/db';
import { createRegistry } from '@mod/telemetry';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { registerOutboxGauge } from './outbox-gauge.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestSchema();
});
afterAll(() => db.drop());

describe('mod_api_outbox_pending', () => {
  it('reads the database once for any number of scrapes within a second', async () => {
    let queries = 0;
    const counting: Queryable = {
      query: ((...args: Parameters<Queryable['query']>) => {
        queries++;
        return db.pool.query(...args);
      }) as Queryable['query'],
    };
    const registry = createRegistry('api');
    registerOutboxGauge(registry, counting, { topics: ['mod.bank-changes.v1'] });
    // 30 scrapes at once (Prometheus replicas, an operator's curl) are the two counts once, not 60 queries.
    const scrapes = await Promise.all(Array.from({ length: 30 }, () => registry.metrics()));
    expect(queries).toBe(2);
    for (const text of scrapes) {
      expect(text).toContain('mod_api_outbox_pending{outbox="media",service="api"} 0');
      expect(text).toContain('mod_api_outbox_pending{outbox="outbox",service="api"} 0');
    }
  });
});
