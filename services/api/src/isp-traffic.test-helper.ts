import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { beforeAll } from 'vitest';
import { urlObservedCodec } from '@mod/contracts';
import { readRecords, topicEndOffsets } from '@mod/kafka';
import { createRegistry } from '@mod/telemetry';
import { useCallersWorld, type CallersWorld } from './callers-world.test-helper.js';
import { bearer, type Callers } from './testing.test-helper.js';

/**
 * A world for traffic-sample uploads on the real broker (the world's own url-observed topic) and PostgreSQL: one
 * API instance on a clock moved by hand, so an ISP's bucket (`burst` lines at once, 3,600 an hour) changes only by
 * what is charged and given back.
 */
export interface TrafficWorld<K extends string> {
  api: CallersWorld<K>;
  /** Moves the clock on (by default an hour, which fills every bucket again). */
  later: (ms?: number) => void;
  upload: (
    key: string,
    body: readonly string[],
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
  /** The end offsets of the topic's partitions. */
  ends: () => Promise<Map<number, string>>;
  /** Messages on the topic, all partitions. */
  onTopic: () => Promise<number>;
  /** The event ids of the first `count` records on the topic after the end offsets `from`. */
  idsAfter: (from: Map<number, string>, count: number) => Promise<string[]>;
}

export function useTrafficWorld<K extends string>(callers: Callers<K>, burst: number): TrafficWorld<K> {
  const api: CallersWorld<K> = useCallersWorld(callers);
  let clock = new Date('2026-03-02T08:00:00Z');
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    app = await api.world.build({
      now: () => clock,
      registry: createRegistry('api'),
      ispTrafficQuota: { linesPerHour: 3600, burst },
    });
  });
  const topic = () => api.world.topics.urlObserved;
  return {
    api,
    later: (ms = 3_600_000) => {
      clock = new Date(clock.getTime() + ms);
    },
    upload: (key, body, headers = {}) =>
      app!.inject({
        method: 'POST',
        url: '/v1/isp/traffic-samples',
        headers: { ...bearer(key), 'content-type': 'application/x-ndjson', ...headers },
        payload: body.join('\n'),
      }),
    ends: () => topicEndOffsets(api.world.kafka, topic()),
    onTopic: async () =>
      [...(await topicEndOffsets(api.world.kafka, topic())).values()].reduce(
        (sum, end) => sum + Number(end),
        0,
      ),
    idsAfter: async (from, count) =>
      (
        await readRecords(api.world.kafka, [topic()], {
          from: [...from.entries()].map(([partition, offset]) => ({
            topic: topic(),
            partition,
            offset: BigInt(offset),
          })),
          until: (records) => records.length >= count,
          timeoutMs: 20_000,
        })
      ).map((r) => urlObservedCodec.decode(r.value).eventId),
  };
}

let n = 0;
/** One line on `host`: a short URL, or one of 4,000 characters more, whose event alone is more than 4 KiB. */
export const trafficLine = (host: string, long = false): string =>
  JSON.stringify({
    url: `https://${host}/${(n += 1)}${long ? `/${randomBytes(2_000).toString('hex')}` : ''}`,
  });
export const trafficLines = (count: number, host: string, long = false): string[] =>
  Array.from({ length: count }, () => trafficLine(host, long));
