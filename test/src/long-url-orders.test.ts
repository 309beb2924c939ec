import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import { waitFor } from './helpers.js';
import { createIsp, createUrlList, startFetcher, type StartedFetcher } from './isp-helpers.js';

/**
 * URLs are taken up to 8192 characters (traffic samples, ISPs' topics, media events). An order names its URL as its
 * subject, and a PostgreSQL btree entry holds at most 2704 bytes: the unique index on open orders' subjects refused
 * a longer one (54000), the actioner's whole transaction failed and the verdict was dead-lettered as
 * MOD_ERR_DB_REJECTED, so a listed URL padded past that length (a query string of random characters) never became
 * an order, and content matched at such a URL on a mapped platform host lost its ISPs' blocking orders too.
 */

usePipelineWorld();
let fetcher: StartedFetcher;
let ispA: { id: string; key: string };
let ispB: { id: string; key: string };

beforeAll(async () => {
  fetcher = await startFetcher(world, {});
  ispA = await createIsp(world, 'isp-a');
  ispB = await createIsp(world, 'isp-b');
});

afterAll(async () => {
  await fetcher?.service.stop();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('orders for URLs of thousands of characters (real Kafka and Postgres)', () => {
  it('opens a blocking order per ISP for a listed URL padded to 6000 characters and lists it in their feeds', async () => {
    await createUrlList(world, 'long-urls', [
      { kind: 'prefix', pattern: 'share.example/files/', category: 'A' },
    ]);
    await waitFor('fetcher URL index', async () => fetcher.service.urlLists.index().size >= 1 || undefined);
    const url = `http://share.example/files/x.jpg?k=${randomBytes(4500).toString('base64url')}`;
    const res = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/isp/traffic-samples',
      headers: { ...auth(ispA.key), 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ url })}\n`,
    });
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 0 });

    const targets = await waitFor(
      'a blocking order per ISP',
      async () => {
        const { rows } = await world.db.query<{ target: string }>(
          `select target_tenant_id as target from orders
           where kind = 'blocking' and subject_type = 'url' and subject_value = $1 order by 1`,
          [url],
        );
        return rows.length === 2 ? rows.map((r) => r.target) : undefined;
      },
      60_000,
    );
    expect(targets).toEqual([ispA.id, ispB.id]);

    const feed = await pipeline.app.inject({
      method: 'GET',
      url: '/v1/isp/feeds/url-list',
      headers: auth(ispB.key),
    });
    expect(feed.statusCode).toBe(200);
    expect(feed.body.split('\n')).toContain(url.slice('http://'.length));
  });
});
