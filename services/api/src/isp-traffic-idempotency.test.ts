import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alterTopicConfig, topicMaxMessageBytes } from '@mod/kafka';
import { trafficLines, useTrafficWorld } from './isp-traffic.test-helper.js';

/*
 * A traffic-sample upload sent again with the same Idempotency-Key (after a 503, a timeout, a lost answer): the
 * lines an earlier attempt queued are neither queued nor charged again, those it did not queue are; another body
 * under the key is refused (409) in the ISP's language, and another tenant's key is its own. Real broker (the
 * world's own topic) and PostgreSQL (the key's record, the quota's bucket); one instance on a clock moved by hand,
 * so a bucket changes only by what is charged and given back. Quota: 100 lines at once.
 */
const t = useTrafficWorld({ ispA: ['isp-a', 'isp'], ispB: ['isp-b', 'isp'] }, 100);
const { api, upload, onTopic } = t;

/** Lines an ISP may still upload: `count` go through and one more is refused (both charged to the bucket). */
const expectLeft = async (key: string, count: number) => {
  if (count > 0) expect((await upload(key, lines(count, 'left.example'))).statusCode).toBe(202);
  expect((await upload(key, lines(1, 'left.example'))).statusCode).toBe(429);
};

const lines = trafficLines;
const newKey = () => ({ 'idempotency-key': `traffic-${randomBytes(6).toString('hex')}` });
/** A key of its own for a test that starts an hour later (every bucket full again). */
const afresh = () => {
  t.later();
  return newKey();
};

describe('a traffic-sample upload sent again with the same Idempotency-Key', () => {
  it('is not queued nor charged again once queued whole', async () => {
    t.later();
    const body = lines(30, 'whole.example');
    const key = newKey();
    const before = await onTopic();
    const first = await upload(api.keys.ispA, body, key);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const again = await upload(api.keys.ispA, body, key);
      expect(again.statusCode, again.body).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
    }
    // Queued once (before: three times), charged once (before: 90 of the 100).
    expect(await onTopic()).toBe(before + 30);
    await expectLeft(api.keys.ispA, 70);
  });

  it('refuses another upload under the same key (409, in Vietnamese or English), and keys are per tenant', async () => {
    const key = afresh();
    expect((await upload(api.keys.ispA, lines(5, 'first.example'), key)).statusCode).toBe(202);
    const before = await onTopic();
    const other = lines(5, 'other.example');
    const vi = await upload(api.keys.ispA, other, key);
    expect(vi.statusCode, vi.body).toBe(409);
    expect(vi.json()).toEqual({
      error: {
        code: 'MOD_ERR_API_IDEMPOTENCY_CONFLICT',
        message:
          'Idempotency-Key này đã được dùng cho một lần tải lên khác; hãy dùng khóa mới cho mẫu lưu lượng mới',
      },
    });
    const en = await upload(api.keys.ispA, other, { ...key, 'accept-language': 'en' });
    expect(en.json<{ error: { message: string } }>().error.message).toBe(
      'this Idempotency-Key was used for another upload; use a new key for new traffic samples',
    );
    expect(await onTopic()).toBe(before);
    // Another ISP's same key is an upload of its own.
    expect((await upload(api.keys.ispB, other, key)).statusCode).toBe(202);
    expect(await onTopic()).toBe(before + 5);
    // The refusals charged nothing: 95 of the first ISP's 100 are left.
    await expectLeft(api.keys.ispA, 95);
  });

  it('queues and charges, when sent again after a 503, only the lines not queued the first time', async () => {
    t.later();
    const { kafka, topics } = api.world;
    const takes = await topicMaxMessageBytes(kafka, topics.urlObserved);
    // 20 short lines, 10 long ones the topic refuses while it takes 4 KiB a batch, then 10 short ones.
    const body = [...lines(20, 'retry.example'), ...lines(10, 'retry.example', true)];
    body.push(...lines(10, 'retry.example'));
    const key = newKey();
    const from = await t.ends();
    await alterTopicConfig(kafka, topics.urlObserved, { 'max.message.bytes': '4096' });
    let first;
    try {
      first = await upload(api.keys.ispA, body, key);
    } finally {
      await alterTopicConfig(kafka, topics.urlObserved, { 'max.message.bytes': String(takes) });
    }
    expect(first.statusCode, first.body).toBe(503);
    expect(first.json<{ error: { message: string } }>().error.message).toBe(
      'không thể đưa hết mẫu lưu lượng vào hàng đợi: 20 trên 40 dòng đã vào và vẫn bị tính vào hạn mức; ' +
        'hãy gửi lại đúng lần tải lên này với cùng Idempotency-Key: chỉ 20 dòng chưa vào hàng đợi được đưa vào và tính vào hạn mức',
    );
    // The broker takes the long lines now: the retry queues the 20 left (before: all 40 again), and charges them.
    const again = await upload(api.keys.ispA, body, { ...key, 'accept-language': 'en' });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ accepted: 40, rejected: 0 });
    const ids = await t.idsAfter(from, 40);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(await onTopic()).toBe([...from.values()].reduce((s, e) => s + Number(e), 0) + 40);
    // 40 charged in all: 60 of the 100 are left (before: 20, the 20 queued first charged twice).
    expect((await upload(api.keys.ispA, body, key)).headers['idempotent-replayed']).toBe('true');
    await expectLeft(api.keys.ispA, 60);
  });

  it('queues and charges retries that arrive together once: one holds the key, the others wait their turn', async () => {
    t.later();
    const body = lines(25, 'together.example');
    const key = newKey();
    const before = await onTopic();
    const answers = await Promise.all(Array.from({ length: 4 }, () => upload(api.keys.ispB, body, key)));
    // One queues the lines; each other one either came while it held the key (503, retry-after: sent again
    // later) or after it (202, replayed). (Before: each queued and charged the 25 lines.)
    const first = answers.filter(
      (a) => a.statusCode === 202 && a.headers['idempotent-replayed'] === undefined,
    );
    expect(first).toHaveLength(1);
    for (const a of answers.filter((a) => !first.includes(a)))
      if (a.statusCode === 503) expect(a.headers['retry-after']).toBe('5');
      else expect([a.statusCode, a.headers['idempotent-replayed']]).toEqual([202, 'true']);
    const later = await upload(api.keys.ispB, body, key);
    expect([later.statusCode, later.headers['idempotent-replayed']]).toEqual([202, 'true']);
    expect(await onTopic()).toBe(before + 25);
    await expectLeft(api.keys.ispB, 75);
  });

  it('keeps a key a day: then the prune deletes it and the key is taken anew for another upload', async () => {
    const key = afresh();
    expect((await upload(api.keys.ispA, lines(2, 'day.example'), key)).statusCode).toBe(202);
    const rows = () =>
      api.db.query(`select 1 from isp_traffic_uploads where tenant_id = 'isp-a' and idempotency_key = $1`, [
        key['idempotency-key'],
      ]);
    expect((await rows()).rowCount).toBe(1);
    expect((await upload(api.keys.ispA, lines(2, 'day.example'), key)).statusCode).toBe(409);
    t.later(24 * 3_600_000);
    // Another upload with a key of its own runs the prune (once a minute of the clock): the old key's row is gone.
    expect((await upload(api.keys.ispA, lines(1, 'day.example'), newKey())).statusCode).toBe(202);
    expect((await rows()).rowCount).toBe(0);
    const before = await onTopic();
    const again = await upload(api.keys.ispA, lines(2, 'day.example'), key);
    expect([again.statusCode, again.headers['idempotent-replayed']]).toEqual([202, undefined]);
    expect(await onTopic()).toBe(before + 2);
  });
});
