import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createUrlList, importUrlList, type Curator } from '@mod/curation';
import { createPool } from '@mod/db';
import { tenantWithKey } from '@mod/testing';
import { inOwnWorld } from './callers-world.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';

// Feed requests and the database pool, which every other request needs: an ISP's full feed is read page by page
// as the ISP reads it (a client that stops reading, or reads one byte a minute, keeps no connection), and feed
// refreshes waiting on each other (an ISP's row lock, held by a long refresh) never take every connection.

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
        const app = await world.build({ db: pool, requestTimeoutMs: 20_000 });
        await app.listen({ host: '127.0.0.1', port: 0 });
        const { port } = app.server.address() as AddressInfo;
        // The feed is built first (seconds for so many entries), so that the downloads below only read it.
        const built = await app.inject({
          method: 'GET',
          url: '/v1/isp/feeds/domain-list',
          headers: { authorization: `Bearer ${key}` },
        });
        expect(built.statusCode).toBe(200);
        // As many stalled downloads as the pool has connections.
        for (let i = 0; i < 2; i++) stalled.push(await stalledGet(port, '/v1/isp/feeds/url-list', key));
        expect(stalled.map((res) => res.statusCode)).toEqual([200, 200]);
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

  it('serves other requests while ISPs poll their feeds again and again during a long refresh', async () => {
    await inOwnWorld(async (world) => {
      const isps = ['isp-poll-1', 'isp-poll-2', 'isp-poll-3', 'isp-poll-4'];
      const keys = await Promise.all(
        isps.map((id) => tenantWithKey(world.db.pool, { id, kind: 'isp', role: 'isp' })),
      );
      const pool = createPool({
        connectionString: world.db.connectionString,
        schema: world.db.schema,
        max: 3,
      });
      const locker = await world.db.pool.connect();
      try {
        const app = await world.build({ db: pool, requestTimeoutMs: 5_000 });
        const feed = (key: string) =>
          app.inject({
            method: 'GET',
            url: '/v1/isp/feeds/rpz',
            headers: { authorization: `Bearer ${key}` },
          });
        for (const key of keys) expect((await feed(key)).statusCode).toBe(200);
        // A new blocking request for each ISP but the last: their feeds must be refreshed.
        for (const id of isps.slice(0, 3))
          await openTestOrder(world, {
            kind: 'blocking',
            targetTenantId: id,
            issuer: { kind: 'authority', id: 'a' },
            subjectType: 'host',
            subjectValue: `${id}.example`,
          });
        // A long refresh of each of these feeds (as after a large list import) holds its row...
        await locker.query('begin');
        await locker.query(`select 1 from feed_state where isp_tenant_id <> 'isp-poll-4' for update`);
        // ...while their ISPs' resolvers poll, three times each.
        const polls = keys.slice(0, 3).flatMap((key) => [feed(key), feed(key), feed(key)]);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        // The ISP whose feed has not changed is answered at once, and other requests are served.
        expect((await feed(keys[3]!)).statusCode).toBe(200);
        const ack = await app.inject({
          method: 'POST',
          url: `/v1/isp/blocking-requests/${randomUUID()}/acknowledgements`,
          headers: { authorization: `Bearer ${keys[0]}` },
          payload: { status: 'applied' },
        });
        expect(ack.statusCode).toBe(404);
        await locker.query('commit');
        const answers = await Promise.all(polls);
        expect(answers.map((poll) => poll.statusCode)).toEqual(polls.map(() => 200));
        // Each ISP's three polls share one refresh that sees its new request: one new serial.
        expect(new Set(answers.map((poll) => poll.headers['x-feed-serial'])).size).toBe(1);
      } finally {
        locker.release();
        await pool.end();
      }
    });
  }, 60_000);
});
