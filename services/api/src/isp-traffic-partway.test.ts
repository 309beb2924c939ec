import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alterTopicConfig, readRecords, topicEndOffsets, topicMaxMessageBytes } from '@mod/kafka';
import { urlObservedCodec } from '@mod/contracts';
import { createRegistry } from '@mod/telemetry';
import type { FastifyInstance } from 'fastify';
import { useCallersWorld } from './callers-world.js';
import { bearer } from './testing.js';

/*
 * A traffic-sample upload the broker takes part of: the topic takes at most 4 KiB a batch (max.message.bytes), so
 * batches of short lines go in smaller sends and a long line (a URL of 4,000 characters) not at all. The lines
 * queued stay charged, exactly those not queued are given back, and the 503 says how many were queued and after
 * which line to send again; a send the broker took on one partition and refused on another counts what it took.
 * Real broker (the world's own topic) and PostgreSQL; one instance on a clock moved by hand, so the bucket changes
 * only by what is charged and given back. Quota: 3,000 lines at once.
 */
const api = useCallersWorld({ ispA: ['isp-a', 'isp'] });
let clock = new Date('2026-03-02T08:00:00Z');
const BURST = 3_000;
let app: FastifyInstance;
let takes: number;

beforeAll(async () => {
  app = await api.world.build({
    now: () => clock,
    registry: createRegistry('api'),
    ispTrafficQuota: { linesPerHour: 3600, burst: BURST },
  });
  takes = await topicMaxMessageBytes(api.world.kafka, api.world.topics.urlObserved);
  await alterTopicConfig(api.world.kafka, api.world.topics.urlObserved, { 'max.message.bytes': '4096' });
});
afterAll(async () => {
  await alterTopicConfig(api.world.kafka, api.world.topics.urlObserved, {
    'max.message.bytes': String(takes),
  });
});

const upload = (lines: string[], headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/isp/traffic-samples',
    headers: { ...bearer(api.keys.ispA), 'content-type': 'application/x-ndjson', ...headers },
    payload: lines.join('\n'),
  });

/** Messages on the world's url-observed topic, all partitions. */
const onTopic = async () =>
  [...(await topicEndOffsets(api.world.kafka, api.world.topics.urlObserved)).values()].reduce(
    (sum, end) => sum + Number(end),
    0,
  );

/** The first `count` records on the topic after the end offsets `from`. */
const readAfter = (from: Map<number, string>, count: number) =>
  readRecords(api.world.kafka, [api.world.topics.urlObserved], {
    from: [...from.entries()].map(([partition, offset]) => ({
      topic: api.world.topics.urlObserved,
      partition,
      offset: BigInt(offset),
    })),
    until: (records) => records.length >= count,
    timeoutMs: 20_000,
  });

/** The partition a host's lines go to (an upload of one line of it, charged). */
const partitionOf = async (host: string) => {
  const ends = await topicEndOffsets(api.world.kafka, api.world.topics.urlObserved);
  expect((await upload(lines(1, host))).statusCode).toBe(202);
  const after = await topicEndOffsets(api.world.kafka, api.world.topics.urlObserved);
  return [...after.entries()].find(([p, end]) => end !== ends.get(p))?.[0];
};

let n = 0;
/** One line on `host`: a short URL, or one of 4,000 characters more, whose event alone is more than 4 KiB. */
const line = (host: string, long = false) =>
  JSON.stringify({
    url: `https://${host}/${(n += 1)}${long ? `/${randomBytes(2_000).toString('hex')}` : ''}`,
  });
const lines = (count: number, host: string, long = false) =>
  Array.from({ length: count }, () => line(host, long));

describe('a traffic-sample upload the broker takes part of', () => {
  it('keeps the queued lines charged, gives back exactly the rest, and says where to start again', async () => {
    const before = await onTopic();
    // 1,000 short lines are taken (in sends of what fits); the 1,001st valid line is long and refused; a blank
    // line and a bad one come before, so a line number is not a count of valid lines.
    const body = [...lines(700, 'partway.example'), '', 'not json', ...lines(300, 'partway.example')];
    body.push(...lines(400, 'partway.example', true), ...lines(100, 'partway.example'));
    const res = await upload(body);
    expect(res.statusCode, res.body).toBe(503);
    expect(await onTopic()).toBe(before + 1_000);
    const message = res.json<{ error: { code: string; message: string } }>().error.message;
    // 1,000 of 1,500 valid lines were queued: the 1,000th valid line is line 1,002 (a blank and a bad line before).
    expect(message).toContain('1000 of 1500');
    expect(message).toContain('line 1002');

    // 1,000 stay charged: 2,000 of the 3,000 are left, no more (before: as many as the refund gave back).
    expect((await upload(lines(2_000, 'rest.example'))).statusCode).toBe(202);
    expect((await upload(lines(1, 'rest.example'))).statusCode).toBe(429);
    expect(await onTopic()).toBe(before + 3_000);
  });

  it('counts a batch the broker took on one partition and refused on another as queued in part', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    const short = 'short.example';
    const shortAt = await partitionOf(short);
    let long = '';
    for (let i = 0; long === '' && i < 50; i++)
      if ((await partitionOf(`long${i}.example`)) !== shortAt) long = `long${i}.example`;
    expect(long).not.toBe('');
    const left = BURST - 2 - Number(long.slice(4, -8)) - 1;
    const from = await topicEndOffsets(api.world.kafka, api.world.topics.urlObserved);
    // One send of 16: the short lines on one partition (the broker takes them), the long ones on another (refused).
    const res = await upload(
      Array.from({ length: 16 }, (_, i) => line(i % 2 === 0 ? short : long, i % 2 === 1)),
    );
    expect(res.statusCode, res.body).toBe(503);
    // Only the first line is queued in order (the second is refused): 1 of 16, and 15 given back. (Before: 0 of 16
    // while the broker had taken the 8 short lines, all 16 given back, and a retry sent the 8 again.)
    expect(res.json<{ error: { message: string } }>().error.message).toContain(
      '1 of 16 were, and stay charged; the last queued was line 1:',
    );
    // The broker took the 8 short lines, some more than once (in halves): one event id each, so processed once.
    const records = await readAfter(from, 16);
    const ids = records.map((r) => urlObservedCodec.decode(r.value).eventId);
    expect(new Set(ids).size).toBe(8);
    expect((await upload(lines(left - 1, 'rest2.example'))).statusCode).toBe(202);
    expect((await upload(lines(1, 'rest2.example'))).statusCode).toBe(202);
    expect((await upload(lines(1, 'rest2.example'))).statusCode).toBe(429);
  });

  it('names the lines of an upload sent again with the same Idempotency-Key as before', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    const body = lines(3, 'again.example');
    const key = { 'idempotency-key': `traffic-${randomBytes(4).toString('hex')}` };
    const from = await topicEndOffsets(api.world.kafka, api.world.topics.urlObserved);
    for (const headers of [key, key, {}]) expect((await upload(body, headers)).statusCode).toBe(202);
    const ids = (await readAfter(from, 9)).map((r) => urlObservedCodec.decode(r.value).eventId);
    // Three with the key, the same three again, three random ones without it.
    expect(new Set(ids).size).toBe(6);
    expect((await upload(body, { 'idempotency-key': 'not a key' })).statusCode).toBe(400);
  });
});
