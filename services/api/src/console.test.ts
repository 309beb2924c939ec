import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from './console.js';
import { useCallersWorld } from './callers-world.test-helper.js';

// A console build as Vite writes it (index.html, hashed assets), beside a file outside it that must stay unseen.
let dir: string;
const script = `console.log(${JSON.stringify('x'.repeat(2000))});\n`;
const index =
  '<!doctype html><html lang="vi"><script type="module" src="/console/assets/index-AbCd1234.js"></script></html>';

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'console-'));
  dir = join(root, 'dist');
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'index.html'), index);
  await writeFile(join(dir, 'assets', 'index-AbCd1234.js'), script);
  await writeFile(join(dir, 'assets', 'index-AbCd1234.js.map'), '{"secret":"source map"}');
  await writeFile(join(root, 'outside.json'), '{"outside":true}');
});
afterAll(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});
// Built once the console's files are there (this file's hooks above run first).
const api = useCallersWorld({}, { build: () => ({ consoleDir: dir }) });

describe('the console served by the API', () => {
  it("answers its shell under /console with the console's policy, revalidated each time", async () => {
    for (const url of ['/console', '/console/', '/console/desk/orders/3f1c']) {
      const res = await api.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(index);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-frame-options']).toBe('DENY');
      const again = await api.app.inject({ url, headers: { 'if-none-match': String(res.headers['etag']) } });
      expect(again.statusCode).toBe(304);
    }
    expect(CONSOLE_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
  });

  it('serves hashed assets as immutable, gzip-compressed when asked', async () => {
    const plain = await api.app.inject({ url: '/console/assets/index-AbCd1234.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(script);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const zipped = await api.app.inject({
      url: '/console/assets/index-AbCd1234.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(script);
    expect(zipped.rawPayload.length).toBeLessThan(script.length / 4);
  });

  it('answers 404 for a missing asset and for files it does not serve, never the shell or a file outside', async () => {
    for (const url of [
      '/console/assets/index-Missing1.js',
      '/console/assets/index-AbCd1234.js.map',
      '/console/index.html.bak',
      '/console/..%2foutside.json',
      '/console/%2e%2e/outside.json',
    ]) {
      const res = await api.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(res.body).not.toContain('outside');
      expect(res.body).not.toContain('source map');
    }
  });

  it("leaves the API's own policy on every other route", async () => {
    const res = await api.app.inject({ url: '/health/live' });
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 with a code when the console is not built', async () => {
    const unbuilt = await api.world.build({ consoleDir: join(dir, 'nowhere') });
    const res = await unbuilt.inject({ url: '/console/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: { code: 'MOD_ERR_API_UNAVAILABLE', message: 'the console is not built (pnpm build)' },
    });
  });
});
