import { describe, expect, it } from 'vitest';
import { backoffMs, signatureHeader, verifyWebhook } from './webhook-signing.js';

const secret = 's'.repeat(40);
const body = JSON.stringify({ event: 'order.issued', order: { id: 'x' } });

describe('webhook signatures', () => {
  it('accepts a fresh, intact request once and rejects altered, stale, foreign or replayed ones', () => {
    const header = signatureHeader(secret, 1_700_000_000, body);
    const seen = new Set<string>();
    const check = (over: Partial<Parameters<typeof verifyWebhook>[0]>) =>
      verifyWebhook({ secret, header, body, nowS: 1_700_000_010, deliveryId: 'd1', seen, ...over });
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

describe('backoffMs', () => {
  it('doubles per attempt within [cap/2, cap), capped at maxMs', () => {
    const at = (attempt: number, r: number) =>
      backoffMs(attempt, { baseMs: 1000, maxMs: 60_000, random: () => r });
    expect([1, 2, 3, 4].map((a) => at(a, 0))).toEqual([500, 1000, 2000, 4000]);
    expect(at(3, 0.999)).toBeLessThan(4000);
    expect(at(3, 0.999)).toBeGreaterThan(3990);
    expect(at(20, 0)).toBe(30_000);
    expect(at(20, 0.5)).toBe(45_000);
  });
});
