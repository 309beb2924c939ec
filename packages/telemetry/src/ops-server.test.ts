import { describe, expect, it } from 'vitest';
import { Counter, createOpsServer, createRegistry } from './index.js';

describe('ops server', () => {
  it('serves metrics, liveness and readiness with the failing checks named', async () => {
    const registry = createRegistry('test');
    new Counter({ name: 'mod_test_things_total', help: 'things', registers: [registry] }).inc(3);
    let dbUp = true;
    const app = createOpsServer({
      registry,
      checks: { db: () => Promise.resolve(dbUp), kafka: () => new Promise<boolean>(() => undefined) },
      checkTimeoutMs: 50,
      // Every request below sees the checks as they are now (no answer reused).
      checkMaxAgeMs: 0,
    });
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/mod_test_things_total\{service="test"\} 3/);
    expect((await app.inject('/health/live')).statusCode).toBe(200);
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'not-ready', failing: ['kafka'] });
    dbUp = false;
    expect((await app.inject('/health/ready')).json<{ failing: string[] }>().failing).toEqual([
      'db',
      'kafka',
    ]);
    // The same checks, as a gauge per check, evaluated when scraped.
    const scraped = (await app.inject('/metrics')).body;
    expect(scraped).toContain('mod_readiness_check_success{check="db",service="test"} 0');
    expect(scraped).toContain('mod_readiness_check_success{check="kafka",service="test"} 0');
    dbUp = true;
    expect((await app.inject('/metrics')).body).toContain(
      'mod_readiness_check_success{check="db",service="test"} 1',
    );
    await app.close();
  });

  it('runs each check once for any number of callers while its answer is fresh', async () => {
    const registry = createRegistry('test');
    let clock = 1_000_000;
    const calls = { db: 0, kafka: 0 };
    const app = createOpsServer({
      registry,
      checks: {
        db: () => Promise.resolve(++calls.db > 0),
        kafka: () => Promise.resolve(++calls.kafka > 0),
      },
      checkMaxAgeMs: 1000,
      now: () => clock,
    });
    // A flood of anonymous readiness probes and scrapes (the API serves them on its public port): one database
    // query and one Kafka metadata request in all, not one per request.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => app.inject(i % 2 === 0 ? '/health/ready' : '/metrics')),
    );
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(calls).toEqual({ db: 1, kafka: 1 });
    clock += 999;
    await app.inject('/health/ready');
    expect(calls).toEqual({ db: 1, kafka: 1 });
    clock += 1;
    await Promise.all([app.inject('/health/ready'), app.inject('/health/ready')]);
    expect(calls).toEqual({ db: 2, kafka: 2 });
    await app.close();
  });
});
