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
});
