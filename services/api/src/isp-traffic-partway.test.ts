import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alterTopicConfig, topicMaxMessageBytes } from '@mod/kafka';
import { trafficLine, trafficLines, useTrafficWorld } from './isp-traffic.test-helper.js';

/*
 * A traffic-sample upload the broker takes part of: the topic takes at most 4 KiB a batch (max.message.bytes), so
 * batches of short lines go in smaller sends (the producer splits them) and a long line (a URL of 4,000 characters)
 * not at all. The lines queued stay charged, exactly those not queued are given back, and the 503 says how many were
 * queued and after which line to send again; a send the broker took on one partition and refused on another counts
 * what it took, which is on the topic once.
 * Real broker (the world's own topic) and PostgreSQL; one instance on a clock moved by hand, so the bucket changes
 * only by what is charged and given back. Quota: 3,000 lines at once.
 */
const BURST = 3_000;
const t = useTrafficWorld({ ispA: ['isp-a', 'isp'] }, BURST);
const { api, onTopic } = t;
let takes: number;

beforeAll(async () => {
  takes = await topicMaxMessageBytes(api.world.kafka, api.world.topics.urlObserved);
  await alterTopicConfig(api.world.kafka, api.world.topics.urlObserved, { 'max.message.bytes': '4096' });
});
afterAll(async () => {
  await alterTopicConfig(api.world.kafka, api.world.topics.urlObserved, {
    'max.message.bytes': String(takes),
  });
});

const upload = (body: string[], headers: Record<string, string> = {}) =>
  t.upload(api.keys.ispA, body, { 'accept-language': 'en', ...headers });

/** The partition a host's lines go to (an upload of one line of it, charged). */
const partitionOf = async (host: string) => {
  const ends = await t.ends();
  expect((await upload(lines(1, host))).statusCode).toBe(202);
  const after = await t.ends();
  return [...after.entries()].find(([p, end]) => end !== ends.get(p))?.[0];
};

const line = trafficLine;
const lines = trafficLines;

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
    expect(message).toContain('1000 of 1500 were, and stay charged; every line up to line 1002 was queued:');
    expect(message).not.toContain('queued too');

    // 1,000 stay charged: 2,000 of the 3,000 are left, no more (before: as many as the refund gave back).
    expect((await upload(lines(2_000, 'rest.example'))).statusCode).toBe(202);
    expect((await upload(lines(1, 'rest.example'))).statusCode).toBe(429);
    expect(await onTopic()).toBe(before + 3_000);
  });

  it('counts a batch the broker took on one partition and refused on another as queued in part', async () => {
    t.later();
    const short = 'short.example';
    const shortAt = await partitionOf(short);
    let long = '';
    for (let i = 0; long === '' && i < 50; i++)
      if ((await partitionOf(`long${i}.example`)) !== shortAt) long = `long${i}.example`;
    expect(long).not.toBe('');
    const left = BURST - 2 - Number(long.slice(4, -8)) - 1;
    const from = await t.ends();
    const before = await onTopic();
    // One send of 16: the short lines on one partition (the broker takes them), the long ones on another (refused).
    const res = await upload(
      Array.from({ length: 16 }, (_, i) => line(i % 2 === 0 ? short : long, i % 2 === 1)),
    );
    expect(res.statusCode, res.body).toBe(503);
    // The producer says which lines the broker took: the 8 short ones, charged; the 8 long ones given back. Only line
    // 1 starts an unbroken run, and the 7 short lines after it are said to be queued too. (Before: '1 of 16', 15
    // given back while the broker had 8, and the refused sends went again in halves, the short lines among them.)
    const message = res.json<{ error: { message: string } }>().error.message;
    expect(message).toContain('8 of 16 were, and stay charged; every line up to line 1 was queued:');
    expect(message).toContain('(7 lines after the first not queued were queued too and are charged');
    // Each short line once on the topic: the producer never sent again what the broker had taken.
    const ids = await t.idsAfter(from, 8);
    expect(new Set(ids).size).toBe(8);
    expect(await onTopic()).toBe(before + 8);
    expect((await upload(lines(left - 8, 'rest2.example'))).statusCode).toBe(202);
    expect((await upload(lines(1, 'rest2.example'))).statusCode).toBe(202);
    expect((await upload(lines(1, 'rest2.example'))).statusCode).toBe(429);
  });

  it('names the lines of an upload with an Idempotency-Key by it, and does not queue them again when sent again', async () => {
    t.later();
    const body = lines(3, 'again.example');
    const key = { 'idempotency-key': `traffic-${randomBytes(4).toString('hex')}` };
    const from = await t.ends();
    const before = await onTopic();
    const answers = [];
    for (const headers of [key, key, {}]) answers.push(await upload(body, headers));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);
    expect(answers.map((a) => a.headers['idempotent-replayed'])).toEqual([undefined, 'true', undefined]);
    // Three with the key, none again for the same upload with it (before: the same three again), three without it.
    const ids = await t.idsAfter(from, 6);
    expect(new Set(ids).size).toBe(6);
    expect(await onTopic()).toBe(before + 6);
    expect((await upload(body, { 'idempotency-key': 'not a key' })).statusCode).toBe(400);
  });
});
