import { describe, expect, it } from 'vitest';
import type { Producer } from '@mod/kafka';
import { useCallersWorld } from './callers-world.test-helper.js';
import { trafficLines } from './isp-traffic.test-helper.js';
import { bearer } from './testing.test-helper.js';

/*
 * A traffic-sample upload with an Idempotency-Key holds the key while its lines go to the broker (five minutes at a
 * time). An upload whose sends take longer than that (a slow broker: 100,000 lines are 200 sends) must keep holding
 * it while it makes progress, or a retry of it (the ISP's client timed out) takes the key and queues and charges
 * again the lines it is still sending. Real broker and PostgreSQL; the clock is moved by the sends themselves.
 */
let now = new Date('2026-03-02T08:00:00Z');
const later = (ms: number) => (now = new Date(now.getTime() + ms));
const MINUTE = 60_000;
/** Called before each send of the world's producer, with its number (from 1). */
let beforeSend: (n: number) => Promise<void> = () => Promise.resolve();
let sends = 0;
const api = useCallersWorld(
  { ispA: ['isp-a', 'isp'] },
  {
    build: (world) => {
      const slow: Producer = {
        ...world.producer,
        send: async (request) => {
          await beforeSend((sends += 1));
          return world.producer.send(request);
        },
      };
      return { now: () => now, producer: slow, ispTrafficQuota: { linesPerHour: 3600, burst: 10_000 } };
    },
  },
);

const upload = (body: string, key: string) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/isp/traffic-samples',
    headers: { ...bearer(api.keys.ispA), 'content-type': 'application/x-ndjson', 'idempotency-key': key },
    payload: body,
  });

describe('a traffic-sample upload with an Idempotency-Key whose sends take long', () => {
  it('holds its key while it makes progress: a retry meanwhile is answered busy, not queued and charged again', async () => {
    const body = trafficLines(1500, 'slow.example').join('\n');
    let retry: Awaited<ReturnType<typeof upload>> | undefined;
    // Each of the upload's three sends takes four minutes; the ISP's client sends it again during the third.
    beforeSend = async (n) => {
      later(4 * MINUTE);
      if (n === 3) {
        beforeSend = () => Promise.resolve();
        retry = await upload(body, 'slow-upload');
      }
    };
    const first = await upload(body, 'slow-upload');
    expect(first.statusCode, first.body).toBe(202);
    // Before: the retry took the key (the first attempt's five minutes had passed) and queued the 1,500 lines again.
    expect(retry?.statusCode, retry?.body).toBe(503);
    expect((retry?.json() as { error: { code: string } }).error.code).toBe('MOD_ERR_API_UNAVAILABLE');
    const again = await upload(body, 'slow-upload');
    expect(again.statusCode, again.body).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });
});
