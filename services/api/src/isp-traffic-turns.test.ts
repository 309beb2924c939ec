import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Producer } from '@mod/kafka';
import { tenantWithKey } from '@mod/testing';
import { inOwnWorld } from './callers-world.test-helper.js';
import { TRAFFIC_LIMITS } from './routes/isp-traffic.js';

// A traffic-sample upload of the largest size takes a while to check line by line (JSON, schema, URL); the
// check takes turns with everything else the process does, so an upload (or a health probe) that comes meanwhile
// is not held up until the large one is done.

describe('traffic samples checked in turns', () => {
  it('answers a small upload that comes while the largest one is being checked before the large one', async () => {
    await inOwnWorld(async (world) => {
      const key = await tenantWithKey(world.db.pool, { id: 'isp-turns', kind: 'isp', role: 'isp' });
      // The real producer, noting which upload each send carries (the first message's URL).
      const sent: string[] = [];
      const producer = new Proxy(world.producer, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
          return async (record: Parameters<Producer['send']>[0]) => {
            sent.push(String(record.messages[0]?.key));
            return target.send(record);
          };
        },
      });
      const app = await world.build({ producer });
      const upload = (payload: string | Readable) =>
        app.inject({
          method: 'POST',
          url: '/v1/isp/traffic-samples',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
          payload,
        });
      const big = Array.from(
        { length: TRAFFIC_LIMITS.maxLines },
        (_, i) => `{"url":"http://big.example/${i}","contentType":"text/html"}\n`,
      );
      const body = Readable.from([big.join('')]);
      let small: ReturnType<typeof upload> | undefined;
      // The small upload starts once the large one's body is all in: its lines are then being checked.
      body.once('end', () =>
        setImmediate(() => {
          small = upload('{"url":"http://small.example/"}\n');
        }),
      );
      const large = await upload(body);
      expect(large.statusCode, large.body).toBe(202);
      expect((await small!).statusCode).toBe(202);
      expect(sent[0]).toBe('small.example');
    });
  }, 60_000);
});
