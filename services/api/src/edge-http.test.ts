import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRAFFIC_LIMITS } from './routes/isp-traffic.js';
import { useCallersWorld } from './callers-world.test-helper.js';

// Everything here goes over a real socket on 127.0.0.1 with real clients (fetch, raw TCP): what a client
// receives when the server refuses mid-body or the HTTP parser refuses is invisible to inject().
let base: string;

const api = useCallersWorld({ isp: ['isp-e', 'isp'] });

beforeAll(async () => {
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
});

/** Sends raw bytes and returns everything the server wrote until it closed the connection. */
function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        headers: text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
    socket.write(request);
  });
}

const upload = (body: Buffer, gzip: boolean) =>
  fetch(`${base}/v1/isp/traffic-samples`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${api.keys.isp}`,
      'content-type': 'application/x-ndjson',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body,
  });

describe('refusals the client actually receives (real socket)', () => {
  it('answers a gzip bomb with 413 and the error body, not a connection reset', async () => {
    // 1 GiB of decoded text in about 1 MiB on the wire (gzip members may be concatenated).
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x61));
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    expect(bomb.length).toBeLessThan(TRAFFIC_LIMITS.maxBodyBytes);
    const res = await upload(bomb, true);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: {
        code: 'MOD_ERR_API_TOO_LARGE',
        message: `decompressed body exceeds ${TRAFFIC_LIMITS.maxDecodedBytes} bytes`,
      },
    });
    // The server goes on answering.
    const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${api.keys.isp}` } });
    expect(me.status).toBe(200);
  });

  it('answers a body over the wire limit with 413, not a reset', async () => {
    const res = await upload(Buffer.alloc(TRAFFIC_LIMITS.maxBodyBytes + 1024 * 1024, 0x61), false);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MOD_ERR_API_TOO_LARGE');
  });

  it('answers malformed HTTP with 400 and the documented error body', async () => {
    const res = await raw('GET /v1/me HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'MOD_ERR_API_BAD_REQUEST', message: 'malformed HTTP request' },
    });
  });

  it('answers headers over the limit with 431 and the documented error body', async () => {
    const big = 'a'.repeat(20 * 1024);
    const res = await raw(`GET /v1/me HTTP/1.1\r\nHost: x\r\nx-big: ${big}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'MOD_ERR_API_HEADERS_TOO_LARGE', message: 'request headers too large' },
    });
    const viaFetch = await fetch(`${base}/v1/me`, { headers: { 'x-big': big } });
    expect(viaFetch.status).toBe(431);
    expect(((await viaFetch.json()) as { error: { code: string } }).error.code).toBe(
      'MOD_ERR_API_HEADERS_TOO_LARGE',
    );
  });
});
