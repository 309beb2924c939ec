import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeKafka, createKafka, pingKafka } from './client.js';
import { testLogger } from './testing.test-helper.js';

/**
 * A broker that resets every connection once the client has spoken (its first request of the SASL exchange in
 * flight), as a broker being stopped does: the socket fails, then closes under that request. The client emitted
 * `error` for both, and the second, unheard, ended the process (vitest reports it as an uncaught exception).
 */
describe('a broker that resets connections during authentication', () => {
  let server: Server;
  let port = 0;
  const resets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      socket.once('data', () => {
        resets.push(socket);
        socket.resetAndDestroy();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is answered as not ready, request after request, and the process lives on', async () => {
    const kafka = createKafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'connection-errors-test',
      logger: testLogger,
      credentials: { mechanism: 'scram-sha-512', username: 'u', password: 'p', tls: false },
      retries: 2,
    });
    const uncaught: unknown[] = [];
    const hear = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', hear);
    try {
      for (let i = 0; i < 3; i++) expect(await pingKafka(kafka)).toBe(false);
      // Each ping tried its request three times (retries 2), each on a connection the broker reset.
      expect(resets.length).toBeGreaterThanOrEqual(9);
      // Let any late emit of the last reset connection run before the test ends.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', hear);
      await closeKafka(kafka);
    }
  });
});
