import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { Counter, createOpsServer, createReadiness, createRegistry, registerProbeRoutes } from './index.js';

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
    // A flood of readiness probes and scrapes: one database
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

  it("public probes answer up or down without naming a check, sharing the ops server's runs", async () => {
    const calls = { db: 0, kafka: 0 };
    let kafkaUp = true;
    let clock = 1_000_000;
    const readiness = createReadiness({
      checks: {
        db: () => Promise.resolve(++calls.db > 0),
        kafka: () => Promise.resolve(++calls.kafka > 0 && kafkaUp),
      },
      checkMaxAgeMs: 1000,
      now: () => clock,
    });
    const ops = createOpsServer({ registry: createRegistry('test'), readiness });
    const probes = Fastify({ logger: false });
    registerProbeRoutes(probes, readiness);
    expect((await probes.inject('/health/live')).json()).toEqual({ status: 'live' });
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => probes.inject('/health/ready')),
      ops.inject('/health/ready'),
      ops.inject('/metrics'),
    ]);
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(answers[0]?.json()).toEqual({ status: 'ready' });
    // One run for the public probes, the ops server's readiness and its gauge together.
    expect(calls).toEqual({ db: 1, kafka: 1 });
    // Down: the public answer says only that; the ops server names what failed.
    kafkaUp = false;
    clock += 1000;
    const down = await probes.inject('/health/ready');
    expect(down.statusCode).toBe(503);
    expect(down.body).toBe('{"status":"not-ready"}');
    expect((await ops.inject('/health/ready')).json()).toEqual({ status: 'not-ready', failing: ['kafka'] });
    expect(calls).toEqual({ db: 2, kafka: 2 });
    // The public app serves no metrics.
    expect((await probes.inject('/metrics')).statusCode).toBe(404);
    await Promise.all([ops.close(), probes.close()]);
  });
});
