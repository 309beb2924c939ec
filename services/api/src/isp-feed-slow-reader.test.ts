import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createUrlList, importUrlList, type Curator } from '@mod/curation';
import { createPool } from '@mod/db';
import { tenantWithKey } from '@mod/testing';
import { inOwnWorld } from './callers-world.js';

// An ISP's full feed is read from the database page by page as the ISP reads it: a client that stops reading
// (or reads one byte a minute) must not keep a database connection, which every other request needs.

const by: Curator = { actor: { kind: 'service', id: 'test' }, role: null, tenantId: null };

/** Starts a GET and resolves with the response once its head is in, then reads nothing (paused). */
function stalledGet(port: number, path: string, key: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        res.pause();
        resolve(res);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

describe('ISP feed downloads and the database pool', () => {
  it('serves other requests while ISPs stall in the middle of large full feeds', async () => {
    await inOwnWorld(async (world) => {
      const key = await tenantWithKey(world.db.pool, { id: 'isp-slow', kind: 'isp', role: 'isp' });
      const list = await createUrlList(
        world.db.pool,
        { name: 'slow-feed', source: 'test', actionPolicy: 'automatic' },
        world.topics.urlListChanges,
        by,
      );
      // About 24 MB of URL lines: far more than the sockets' buffers hold between a server and a stalled client.
      const pad = 'x'.repeat(400);
      const lines = Array.from({ length: 60_000 }, (_, i) => `slow.example/${i}/${pad}`);
      await importUrlList(world.db.pool, {
        bankId: list.bank.id,
        format: 'txt',
        mode: 'append',
        input: Readable.from([Buffer.from(lines.join('\n'))]),
        changesTopic: world.topics.urlListChanges,
        provenance: 'test',
        by,
      });
      const pool = createPool({
        connectionString: world.db.connectionString,
        schema: world.db.schema,
        max: 2,
      });
      const stalled: IncomingMessage[] = [];
      try {
        const app = await world.build({ db: pool, requestTimeoutMs: 5_000 });
        await app.listen({ host: '127.0.0.1', port: 0 });
        const { port } = app.server.address() as AddressInfo;
        // As many stalled downloads as the pool has connections.
        for (let i = 0; i < 2; i++) stalled.push(await stalledGet(port, '/v1/isp/feeds/url-list', key));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const other = await app.inject({
          method: 'GET',
          url: '/v1/isp/feeds/domain-list',
          headers: { authorization: `Bearer ${key}` },
        });
        expect(other.statusCode).toBe(200);
        // The stalled downloads, read at last, are whole.
        const first = stalled[0]!;
        first.resume();
        let body = '';
        first.setEncoding('utf8');
        for await (const chunk of first) body += chunk as string;
        expect(body.split('\n').filter(Boolean)).toHaveLength(60_000);
        expect(body.endsWith(`slow.example/9999/${pad}\n`)).toBe(true);
      } finally {
        for (const res of stalled) res.destroy();
        await pool.end();
      }
    });
  }, 120_000);
});
