import type { Registry } from '@mod/telemetry';
import { beforeAll, describe, expect, it } from 'vitest';
import { alterTopicConfig, topicEndOffsets, topicMaxMessageBytes } from '@mod/kafka';
import { createRegistry } from '@mod/telemetry';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * Each ISP tenant's quota of traffic-sample lines, across API instances. Before it, only requests were limited (in
 * each instance's memory): one ISP's 100,000-line uploads queued millions of samples ahead of every other ISP's.
 * Now an upload's valid lines are charged to its tenant's bucket in the shared database before anything is queued.
 * Two app instances on one real PostgreSQL schema and the real broker (the world's own topic), each listening on
 * loopback and called with fetch; one clock for both, moved by hand. The quota: one line a second, ten at once.
 */
const api = useCallersWorld({ ispA: ['isp-a', 'isp'], ispB: ['isp-b', 'isp'] });
let clock = new Date('2026-03-02T08:00:00Z');
interface Answer {
  statusCode: number;
  retryAfter: string | null;
  code: string | undefined;
  accepted: number | undefined;
}
type Upload = (key: string, lines: string[]) => Promise<Answer>;
let one: Upload;
let two: Upload;
const registries: Registry[] = [];

async function instance(): Promise<Upload> {
  const registry = createRegistry('api');
  registries.push(registry);
  const app = await api.world.build({
    now: () => clock,
    registry,
    ispTrafficQuota: { linesPerHour: 3600, burst: 10 },
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return async (key, lines) => {
    const res = await fetch(`${base}/v1/isp/traffic-samples`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    const body = (await res.json()) as { accepted?: number; error?: { code: string } };
    return {
      statusCode: res.status,
      retryAfter: res.headers.get('retry-after'),
      code: body.error?.code,
      accepted: body.accepted,
    };
  };
}

beforeAll(async () => {
  one = await instance();
  two = await instance();
});

let n = 0;
/** `count` valid sample lines, each a URL of its own. */
const samples = (count: number) =>
  Array.from({ length: count }, () => JSON.stringify({ url: `https://quota.example/${(n += 1)}` }));

/** Messages on the world's own url-observed topic (all partitions). */
async function queued(): Promise<number> {
  const ends = await topicEndOffsets(api.world.kafka, api.world.topics.urlObserved);
  return [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
}

/** Refusals counted by both instances for `tenant` and `reason`. */
async function refusals(tenant: string, reason: string): Promise<number> {
  let total = 0;
  for (const registry of registries) {
    const metric = await registry.getSingleMetric('mod_api_isp_traffic_refused_total')?.get();
    for (const v of metric?.values ?? [])
      if (v.labels['tenant'] === tenant && v.labels['reason'] === reason) total += v.value;
  }
  return total;
}

const LIMITED = { statusCode: 429, code: 'MOD_ERR_API_RATE_LIMITED', accepted: undefined };

describe("an ISP's traffic-sample line quota across two API instances", () => {
  it("refuses one ISP past its lines on either instance, nothing queued, while another ISP's upload goes through", async () => {
    const start = await queued();
    expect(await one(api.keys.ispA, samples(4))).toMatchObject({ statusCode: 202, accepted: 4 });
    expect(await two(api.keys.ispA, samples(4))).toMatchObject({ statusCode: 202, accepted: 4 });
    expect(await queued()).toBe(start + 8);
    // Two lines left of ten: three are refused whole, on either instance, with the wait for the one missing.
    expect(await one(api.keys.ispA, samples(3))).toMatchObject({ ...LIMITED, retryAfter: '1' });
    expect(await two(api.keys.ispA, samples(3))).toMatchObject({ ...LIMITED, retryAfter: '1' });
    expect(await queued()).toBe(start + 8);
    expect(await refusals('isp-a', 'quota')).toBe(2);
    // The other ISP has a bucket of its own.
    expect(await two(api.keys.ispB, samples(10))).toMatchObject({ statusCode: 202, accepted: 10 });
    expect(await refusals('isp-b', 'quota')).toBe(0);
    // The two lines left are still the first ISP's, then none.
    expect(await one(api.keys.ispA, samples(2))).toMatchObject({ statusCode: 202, accepted: 2 });
    expect(await two(api.keys.ispA, samples(1))).toMatchObject(LIMITED);
    expect(await queued()).toBe(start + 20);
  });

  it('refills at the configured rate, by the clock of the instance answering', async () => {
    const start = await queued();
    clock = new Date(clock.getTime() + 60_000); // a minute: 60 lines, but never more than the ten of the burst
    expect(await one(api.keys.ispA, samples(10))).toMatchObject({ statusCode: 202, accepted: 10 });
    expect(await two(api.keys.ispA, samples(3))).toMatchObject({ ...LIMITED, retryAfter: '3' });
    clock = new Date(clock.getTime() + 2_000);
    expect(await one(api.keys.ispA, samples(3))).toMatchObject(LIMITED);
    clock = new Date(clock.getTime() + 1_000);
    expect(await two(api.keys.ispA, samples(3))).toMatchObject({ statusCode: 202, accepted: 3 });
    expect(await queued()).toBe(start + 13);
  });

  it('charges only the valid lines of an upload', async () => {
    clock = new Date(clock.getTime() + 2_000);
    const start = await queued();
    const invalid = ['not json', JSON.stringify({ url: 'ftp://quota.example/x' }), '{}'];
    // Two lines left: two valid lines and three invalid ones pass, the invalid ones reported, not charged.
    const res = await one(api.keys.ispA, [...samples(1), ...invalid, ...samples(1)]);
    expect(res).toMatchObject({ statusCode: 202, accepted: 2 });
    expect(await two(api.keys.ispA, samples(1))).toMatchObject(LIMITED);
    expect(await queued()).toBe(start + 2);
  });

  it('refuses an upload larger than the burst with 413, nothing queued', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    const start = await queued();
    expect(await two(api.keys.ispB, samples(11))).toMatchObject({
      statusCode: 413,
      code: 'MOD_ERR_API_TOO_LARGE',
    });
    expect(await queued()).toBe(start);
    expect(await refusals('isp-b', 'larger_than_burst')).toBe(1);
    // Nothing was charged for it: the whole burst is still there.
    expect(await one(api.keys.ispB, samples(10))).toMatchObject({ statusCode: 202, accepted: 10 });
  });

  it('gives the lines back when the broker refuses the upload (503): a failure of ours costs the ISP nothing', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    const { kafka, topics } = api.world;
    const start = await queued();
    expect(await one(api.keys.ispA, samples(4))).toMatchObject({ statusCode: 202, accepted: 4 });
    // The broker refuses every batch of the topic (records larger than it takes), for both instances' producer.
    const takes = await topicMaxMessageBytes(kafka, topics.urlObserved);
    await alterTopicConfig(kafka, topics.urlObserved, { 'max.message.bytes': '64' });
    try {
      for (const upload of [one, two])
        expect(await upload(api.keys.ispA, samples(6))).toMatchObject({
          statusCode: 503,
          code: 'MOD_ERR_API_UNAVAILABLE',
        });
    } finally {
      await alterTopicConfig(kafka, topics.urlObserved, { 'max.message.bytes': String(takes) });
    }
    expect(await queued()).toBe(start + 4);
    // The six lines left before the refusals are left after them, in the bucket both instances share: no more.
    expect(await two(api.keys.ispA, samples(6))).toMatchObject({ statusCode: 202, accepted: 6 });
    expect(await one(api.keys.ispA, samples(1))).toMatchObject(LIMITED);
    expect(await queued()).toBe(start + 10);
  });

  it('refuses uploads (503, nothing queued) when the database cannot check the quota', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    const start = await queued();
    await api.db.query(`alter table rate_buckets rename to rate_buckets_away`);
    try {
      expect(await one(api.keys.ispA, samples(1))).toMatchObject({
        statusCode: 503,
        code: 'MOD_ERR_API_UNAVAILABLE',
      });
      expect(await two(api.keys.ispB, samples(1))).toMatchObject({ statusCode: 503 });
    } finally {
      await api.db.query(`alter table rate_buckets_away rename to rate_buckets`);
    }
    expect(await queued()).toBe(start);
    expect(await refusals('isp-a', 'database')).toBe(1);
    expect(await one(api.keys.ispA, samples(1))).toMatchObject({ statusCode: 202, accepted: 1 });
  });
});
