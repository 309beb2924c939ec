import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { trafficLines, useTrafficWorld } from './isp-traffic.test-helper.js';

/*
 * A traffic-sample upload with an Idempotency-Key whose lines the broker took, but whose record of them could not be
 * saved: a trigger in the world's schema fails the final save (the update that lets go of the key) once, as a
 * database gone at that moment would. The retry with the same key, once the attempt's hold has lapsed, sends the
 * lines again under the same event ids and must not charge them again: the first attempt's charge stands for them.
 * Real broker and PostgreSQL; one instance on a clock moved by hand. Quota: 100 lines at once.
 */
const t = useTrafficWorld({ ispA: ['isp-a', 'isp'] }, 100);
const { api, upload } = t;
const lines = trafficLines;

beforeAll(async () => {
  // A sequence, not a table: its count outlives the rolled-back statement that the fault fails.
  await api.db.query(`create sequence keep_faults`);
  await api.db.query(`create function fail_keep_once() returns trigger language plpgsql as $$
    begin
      if nextval('keep_faults') = 1 then raise exception 'keep fault (test)'; end if;
      return new;
    end $$`);
  await api.db.query(`create trigger fail_keep_once before update on isp_traffic_uploads
    for each row when (old.busy_until is not null and new.busy_until is null) execute function fail_keep_once()`);
});

const expectLeft = async (count: number) => {
  if (count > 0) expect((await upload(api.keys.ispA, lines(count, 'left.example'))).statusCode).toBe(202);
  expect((await upload(api.keys.ispA, lines(1, 'left.example'))).statusCode).toBe(429);
};

describe('a traffic upload whose final save failed after its lines were queued', () => {
  it('is not charged again when sent again with its key', async () => {
    t.later();
    const body = lines(30, 'fault.example');
    const key = { 'idempotency-key': `traffic-${randomBytes(6).toString('hex')}` };
    const first = await upload(api.keys.ispA, body, key);
    expect(first.statusCode, first.body).toBe(202);
    // The save failed once (its fault spent), the lines being on the topic.
    expect((await api.db.query(`select last_value::int as n from keep_faults`)).rows[0]).toEqual({ n: 1 });
    // The attempt kept its hold (its save failed): the retry waits for it to lapse. The hold is moved back here
    // rather than the clock on, so that the bucket is not refilled meanwhile.
    await api.db.query(`update isp_traffic_uploads set busy_until = busy_until - interval '1 hour'`);
    const again = await upload(api.keys.ispA, body, key);
    expect(again.statusCode, again.body).toBe(202);
    // 30 charged once: 70 left (before: 40, the retry charged the 30 again).
    await expectLeft(70);
  });
});
