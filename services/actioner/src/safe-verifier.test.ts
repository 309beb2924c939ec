import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeBodyFetcher } from './safe-verifier.js';
import { createFetchVerifier } from './verifier.js';

let server: Server;
let base: string;
let image: Buffer;

beforeAll(async () => {
  image = await readFile(
    fileURLToPath(new URL('../../../packages/urls/fixtures/small.jpg', import.meta.url)),
  );
  server = createServer((req, res) => {
    if (req.url === '/still-there.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(image);
    else if (req.url === '/removed.jpg')
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>removed</p>');
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));

describe('verification through the SSRF-safe fetcher', () => {
  const sha = () => createHash('sha256').update(image).digest('hex');

  it('tells present, gone and changed apart (loopback allowed for this test only)', async () => {
    const verifier = createFetchVerifier(createSafeBodyFetcher({ addressPolicy: () => 'allow' }));
    const check = (path: string) =>
      verifier.verify({ orderId: 'o', url: `${base}${path}`, contentSha256: sha() });
    expect((await check('/still-there.jpg')).outcome).toBe('present');
    expect((await check('/gone.jpg')).outcome).toBe('gone');
    expect((await check('/removed.jpg')).outcome).toBe('changed');
  });

  it('with the default policy a loopback URL is never fetched: unknown, so the order neither verifies nor reopens', async () => {
    const verifier = createFetchVerifier(createSafeBodyFetcher());
    const result = await verifier.verify({
      orderId: 'o',
      url: `${base}/still-there.jpg`,
      contentSha256: sha(),
    });
    expect(result.outcome).toBe('unknown');
    expect(result.detail).toMatch(/blocked-address/);
  });
});
