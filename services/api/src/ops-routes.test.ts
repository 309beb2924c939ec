import { describe, expect, it } from 'vitest';
import { createOpsServer, createReadiness, createRegistry } from '@mod/telemetry';
import { useCallersWorld } from './callers-world.test-helper.js';

/**
 * The API's public port answers a load balancer's probes, up or down and nothing more; its metrics and the names of
 * failing checks are on the ops server (main.ts: OPS_HOST:OPS_PORT, loopback by default), as every worker's are.
 */
let kafkaUp = true;
const registry = createRegistry('api');
const readiness = createReadiness({
  checks: { database: () => Promise.resolve(true), kafka: () => Promise.resolve(kafkaUp) },
  // Each request sees the checks as they are now.
  checkMaxAgeMs: 0,
});
const api = useCallersWorld({ admin: ['ops-admin', 'admin'] }, { build: { registry, readiness } });

describe('the public port', () => {
  it('answers /metrics 404 like any unknown route, to anyone, an admin too', async () => {
    for (const headers of [{}, { authorization: `Bearer ${api.keys.admin}` }]) {
      const res = await api.app.inject({ url: '/metrics', headers });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'MOD_ERR_API_NO_ROUTE', message: 'no such route' } });
    }
  });

  it('answers the probes up or down without naming a check', async () => {
    expect((await api.app.inject('/health/live')).json()).toEqual({ status: 'live' });
    const up = await api.app.inject('/health/ready');
    expect([up.statusCode, up.body]).toEqual([200, '{"status":"ready"}']);
    kafkaUp = false;
    try {
      const down = await api.app.inject('/health/ready');
      expect([down.statusCode, down.body]).toEqual([503, '{"status":"not-ready"}']);
      // The ops server, sharing the same readiness, names it.
      const ops = createOpsServer({ registry, readiness });
      const named = await ops.inject('/health/ready');
      expect([named.statusCode, named.json()]).toEqual([503, { status: 'not-ready', failing: ['kafka'] }]);
      await ops.close();
    } finally {
      kafkaUp = true;
    }
  });
});

describe('the ops server', () => {
  it("serves the app's metrics, which the public port no longer does", async () => {
    const ops = createOpsServer({ registry, readiness });
    try {
      const res = await ops.inject('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      // The metrics buildApp registers, and the readiness gauge.
      for (const name of [
        'mod_api_uploads_receiving',
        'mod_api_auth_failures_total',
        'mod_api_sign_ins_total',
        'mod_review_queue_size',
        'mod_review_decisions_total',
        'mod_reports_received_total',
        'mod_reports_open',
        'mod_readiness_check_success',
        'process_cpu_user_seconds_total',
      ])
        expect(res.body).toContain(`# TYPE ${name} `);
      expect(res.body).toContain('mod_readiness_check_success{check="kafka",service="api"} 1');
    } finally {
      await ops.close();
    }
  });
});
