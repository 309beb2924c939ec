import { describe, expect, it } from 'vitest';
import { WebhookReplayGuard, signatureHeader, verifyWebhook } from './webhook-signing.js';

const secret = 's'.repeat(40);
const body = JSON.stringify({ event: 'order.issued', order: { id: 'x' } });

describe('webhook signatures', () => {
  it('accepts a fresh, intact request once and rejects altered, stale, foreign or replayed ones', () => {
    const header = signatureHeader(secret, 1_700_000_000, body);
    const replays = new WebhookReplayGuard();
    const check = (over: Partial<Parameters<typeof verifyWebhook>[0]>) =>
      verifyWebhook({ secret, header, body, nowS: 1_700_000_010, deliveryId: 'd1', replays, ...over });
    expect(check({})).toEqual({ ok: true, timestampS: 1_700_000_000 });
    expect(check({})).toEqual({ ok: false, reason: 'replayed' });
    // The delivery id header is not signed: the same request under a fresh id is a replay all the same.
    expect(check({ deliveryId: 'd-fresh' })).toEqual({ ok: false, reason: 'replayed' });
    // A retry of that delivery is signed afresh, and dropped as a repeat of its id.
    expect(check({ header: signatureHeader(secret, 1_700_000_007, body) })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(check({ deliveryId: 'd2', body: body.replace('issued', 'withdrawn') })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(check({ deliveryId: 'd3', secret: 't'.repeat(40) })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(check({ deliveryId: 'd4', nowS: 1_700_000_000 + 301 })).toEqual({ ok: false, reason: 'stale' });
    // Moving the timestamp forward breaks the signature: the timestamp is signed with the body.
    expect(check({ deliveryId: 'd5', header: header.replace('t=1700000000', 't=1700000005') })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(check({ deliveryId: 'd6', header: 'v1=abc' })).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('WebhookReplayGuard', () => {
  const at = (s: number) => 1_700_000_000 + s;
  const deliver = (replays: WebhookReplayGuard, id: string, sentS: number, nowS = sentS) =>
    verifyWebhook({
      secret,
      header: signatureHeader(secret, sentS, `${body}${id}`),
      body: `${body}${id}`,
      nowS,
      deliveryId: id,
      replays,
    });

  it('forgets signatures once their timestamp would be stale, and delivery ids after their retention', () => {
    const replays = new WebhookReplayGuard({ toleranceS: 300, deliveryRetentionS: 3_600 });
    for (let i = 0; i < 1_000; i++) expect(deliver(replays, `d${i}`, at(i)).ok).toBe(true);
    // One delivery a second for 1,000 s: only the last 2 × 300 s of signatures are kept, every id.
    expect(replays.size()).toEqual({ signatures: 601, deliveries: 1_000 });
    // Twenty minutes later: every signature is past twice the window, every id still within its hour.
    expect(deliver(replays, 'late', at(2_000)).ok).toBe(true);
    expect(replays.size()).toEqual({ signatures: 1, deliveries: 1_001 });
    // A retry of d5, signed afresh within the hour, is still a repeat; after the hour it is new again.
    expect(deliver(replays, 'd5', at(3_000))).toEqual({ ok: false, reason: 'replayed' });
    expect(deliver(replays, 'd5', at(3_606)).ok).toBe(true);
  });

  it('keeps at most maxDeliveries ids, the oldest forgotten first', () => {
    const replays = new WebhookReplayGuard({ maxDeliveries: 3 });
    for (const id of ['a', 'b', 'c', 'd']) expect(deliver(replays, id, at(0)).ok).toBe(true);
    expect(replays.size().deliveries).toBe(3);
    expect(deliver(replays, 'a', at(1)).ok).toBe(true);
    expect(deliver(replays, 'd', at(1))).toEqual({ ok: false, reason: 'replayed' });
  });

  it("remembers a signature as long as the receiver's own window keeps it fresh, wider than the guard's", () => {
    // A receiver allowing 15 minutes of clock skew, with a guard built with the defaults (5 minutes).
    const replays = new WebhookReplayGuard();
    const header = signatureHeader(secret, at(0), body);
    const send = (id: string, nowS: number) =>
      verifyWebhook({ secret, header, body, nowS, toleranceS: 900, deliveryId: id, replays });
    expect(send('y1', at(0)).ok).toBe(true);
    // Eleven minutes on, still fresh under that window: a captured copy under a fresh id is a replay.
    expect(send('y2', at(660))).toEqual({ ok: false, reason: 'replayed' });
    expect(send('y3', at(901))).toEqual({ ok: false, reason: 'stale' });
  });

  it('still refuses a captured request sent again under a fresh id within the window', () => {
    const replays = new WebhookReplayGuard();
    const header = signatureHeader(secret, at(0), body);
    const send = (id: string) =>
      verifyWebhook({ secret, header, body, nowS: at(10), deliveryId: id, replays });
    expect(send('x1').ok).toBe(true);
    expect(send('x2')).toEqual({ ok: false, reason: 'replayed' });
    expect(replays.size().deliveries).toBe(1);
  });
});
