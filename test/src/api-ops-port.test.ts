import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, serviceEnv, stopInOrder, waitFor, type World } from './helpers.js';
import { freePort, spawnService, type ServiceProcess } from './processes.js';

/**
 * The API as operators run it (`node services/api/dist/main.js`): its metrics and the names of failing checks on
 * its ops server (OPS_HOST:OPS_PORT), as every worker's; its public port answers the bare probes and /metrics 404.
 */

describe('the API process: public port and ops port', () => {
  let world: World;
  let dir: string;
  let api: ServiceProcess | undefined;
  let publicUrl: string;

  beforeAll(async () => {
    world = createWorld();
    await world.ready;
    dir = await mkdtemp(join(tmpdir(), 'mod-api-ops-'));
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    api = await spawnService('api', serviceEnv(world, 'api', { API_PORT: String(port), LOG_LEVEL: 'info' }), {
      logDir: dir,
    });
    await api.ready();
    await waitFor(
      'the public port to answer',
      async () => (await fetch(`${publicUrl}/health/live`).catch(() => null))?.ok,
    );
  }, 120_000);

  afterAll(async () => {
    await stopInOrder([
      ['api', () => api?.kill('SIGTERM')],
      ['world', () => world?.drop()],
      ['log folder', () => rm(dir, { recursive: true, force: true })],
    ]);
  }, 60_000);

  it('answers /metrics 404 on the public port, like any unknown route', async () => {
    const res = await fetch(`${publicUrl}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'MOD_ERR_API_NO_ROUTE', message: 'no such route' } });
  });

  it('answers the public probes up or down, naming no check', async () => {
    const ready = await fetch(`${publicUrl}/health/ready`);
    expect([ready.status, await ready.text()]).toEqual([200, '{"status":"ready"}']);
    expect(await (await fetch(`${publicUrl}/health/live`)).json()).toEqual({ status: 'live' });
  });

  it('serves its metrics and its checks by name on the ops port', async () => {
    const res = await fetch(`${api!.opsUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      'mod_api_outbox_pending',
      'mod_api_uploads_receiving',
      'mod_api_auth_failures_total',
      'mod_api_sign_ins_total',
      'mod_review_queue_size',
      'mod_reports_open',
      'mod_api_audit_texts_erased_total',
      'mod_api_audit_text_retention_passes_total',
      'mod_api_audit_text_retention_last_run_timestamp_seconds',
      'mod_readiness_check_success',
      'process_cpu_user_seconds_total',
    ])
      expect(text).toContain(`# TYPE ${name} `);
    expect(text).toMatch(/^mod_readiness_check_success\{check="database",service="api"\} 1$/m);
    expect(await (await fetch(`${api!.opsUrl}/health/ready`)).json()).toEqual({
      status: 'ready',
      failing: [],
    });
    expect(api!.lines.some((line) => line.includes('"ops server listening"'))).toBe(true);
    // The audit text retention pass runs in every API (one replica at a time erases: the advisory lock).
    expect(api!.lines.some((line) => line.includes('"audit text retention started"'))).toBe(true);
  });
});
