import { randomBytes, randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '@mod/telemetry';
import { useCallersWorld } from './callers-world.test-helper.js';

/**
 * `POST /v1/media` holds each upload whole until it commits: an instance receives a bounded number at once (here
 * two), and one more is answered 503 before its body is read, so uploads trickled in by many clients cannot take
 * the instance's memory. A slot is free again as soon as its upload is answered.
 */
/** The API's metrics (served on its ops server, never on the app). */
const registry = createRegistry('api');
const api = useCallersWorld(
  { plat: ['recv-plat', 'platform'] },
  { build: { maxUploadsReceiving: 2, registry } },
);

const boundary = `----media${randomUUID()}`;
const head = Buffer.from(
  `--${boundary}\r\ncontent-disposition: form-data; name="media"; filename="x.png"\r\ncontent-type: image/png\r\n\r\n`,
);
const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

const post = (payload: Buffer) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: {
      authorization: `Bearer ${api.keys.plat}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload,
  });

/** An upload over a real socket whose body arrives when `finish` is called; its answer's status. */
function slowUpload(port: number): { finish: () => void; status: Promise<number> } {
  const req = request({
    host: '127.0.0.1',
    port,
    agent: false,
    method: 'POST',
    path: '/v1/media',
    headers: {
      authorization: `Bearer ${api.keys.plat}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'transfer-encoding': 'chunked',
    },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  req.write(head);
  return { finish: () => req.end(Buffer.concat([randomBytes(256), tail])), status };
}

describe('uploads an instance receives at once', () => {
  it('are bounded: one more is refused with 503 before its body is read, and a finished one frees its slot', async () => {
    // Two uploads whose bodies are still on their way, over real sockets.
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as AddressInfo;
    const slow = [slowUpload(port), slowUpload(port)];
    // Both are being received (the instance says so in its metrics): a third is refused.
    const receiving = async () =>
      /^mod_api_uploads_receiving(?:\{[^}]*\})? (\d+)$/m.exec(await registry.metrics())?.[1];
    for (let i = 0; i < 100 && (await receiving()) !== '2'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await receiving()).toBe('2');
    const refused = await post(Buffer.concat([head, randomBytes(256), tail]));
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'MOD_ERR_API_UNAVAILABLE' } });
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.headers['connection']).toBe('close');

    // The first finishes: its slot is free for the next.
    slow[0]!.finish();
    expect(await slow[0]!.status).toBe(202);
    expect(await receiving()).toBe('1');
    const next = await post(Buffer.concat([head, randomBytes(256), tail]));
    expect(next.statusCode, next.body).toBe(202);
    slow[1]!.finish();
    expect(await slow[1]!.status).toBe(202);
  });
});
