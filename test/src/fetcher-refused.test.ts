import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '@mod/contracts';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import { json, makePhoto, read, waitFor } from './helpers.js';
import {
  PUBLIC_TEST_ADDRESS,
  counterValue,
  createIsp,
  startFetcher,
  startMediaServer,
  type MediaServer,
  type StartedFetcher,
} from './isp-helpers.js';

// An ISP observing a URL before its content goes live (a 404 then) kept every ISP's later observation of it
// unfetched for SEEN_TTL_MS (6 h). Through the real API, broker, fetcher, scanner and PostgreSQL: the refusal is
// remembered for SEEN_REFUSED_TTL_MS only, and each ISP's observations apart.

usePipelineWorld();
const REFUSED_TTL_MS = 60_000;
let nowMs = Date.now();
let fetcher: StartedFetcher;
let media: MediaServer;
const bodies: Record<string, { type: string; body: Buffer }> = {};
let ispA: { id: string; key: string };
let ispB: { id: string; key: string };

beforeAll(async () => {
  media = await startMediaServer(PUBLIC_TEST_ADDRESS, bodies);
  fetcher = await startFetcher(
    world,
    { 'late.example': PUBLIC_TEST_ADDRESS },
    { SEEN_REFUSED_TTL_MS: String(REFUSED_TTL_MS) },
    () => nowMs,
  );
  ispA = await createIsp(world, 'isp-late-a');
  ispB = await createIsp(world, 'isp-late-b');
});

afterAll(async () => {
  await fetcher?.service.stop();
  await media?.close();
});

/** One traffic sample of `url` from the ISP with API key `key`. */
async function observe(key: string, url: string): Promise<void> {
  const res = await pipeline.app.inject({
    method: 'POST',
    url: '/v1/isp/traffic-samples',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
    payload: `${JSON.stringify({ url })}\n`,
  });
  expect(res.json()).toMatchObject({ accepted: 1, rejected: 0 });
}

/** Waits until the fetcher has counted `n` observations with `outcome` in all. */
const counted = (outcome: string, n: number) =>
  waitFor(`${n} ${outcome}`, async () => {
    const value = await counterValue(fetcher.registry, 'mod_fetcher_observed_total', { outcome });
    return value >= n || undefined;
  });

describe('fetcher: a URL observed before its content was live', () => {
  it('is fetched again once its refusal is past, and for another ISP at once', async () => {
    const path = `/late-${randomUUID().slice(0, 8)}.jpg`;
    const url = `http://late.example:${media.port}${path}`;
    await observe(ispA.key, url);
    await counted('refused', 1); // a 404: not live yet
    bodies[path] = { type: 'image/jpeg', body: await makePhoto(83) };
    await observe(ispA.key, url);
    await counted('recently-seen', 1); // within its refusal's time
    nowMs += REFUSED_TTL_MS;
    await observe(ispA.key, url);
    await observe(ispB.key, url);
    const verdicts = await read(world, world.topics.verdicts, (r) =>
      [ispA.id, ispB.id].every((isp) =>
        r.some((m) => json<Verdict>(m).url === url && json<Verdict>(m).tenantId === isp),
      ),
    );
    const mine = verdicts.map((m) => json<Verdict>(m)).filter((v) => v.url === url);
    expect(mine.map((v) => v.tenantId).sort()).toEqual([ispA.id, ispB.id].sort());
    expect(media.requests.filter((p) => p === path)).toHaveLength(3);
  });
});
