import { describe, expect, it } from 'vitest';
import { keepTrafficUploadQueued, takeTrafficUploadKey } from './isp-traffic-uploads.js';
import { withTransaction } from './pool.js';
import { db, useTestSchema } from './testing.test-helper.js';

// An upload's Idempotency-Key is held by one attempt at a time (a lease, `busy_until`). An attempt that outlived its
// lease, the key taken since by another, must not let go of the other's hold when it ends, nor write over what it
// keeps: a third attempt would then take the key while the second still sends, and send and charge its lines again.
// On real PostgreSQL.

useTestSchema({ 'isp-a': 'isp' });

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MINUTE = 60_000;
const key = { tenantId: 'isp-a', idempotencyKey: 'upload-1' };
const body = Buffer.alloc(32, 7);

/** An attempt at `atMin` minutes past T0, holding the key for five minutes. */
const take = (atMin: number) =>
  withTransaction(db.pool, (c) =>
    takeTrafficUploadKey(c, {
      ...key,
      bodySha256: body,
      lines: 4,
      expiresAt: new Date(T0 + 24 * 60 * MINUTE),
      busyUntil: new Date(T0 + (atMin + 5) * MINUTE),
      now: new Date(T0 + atMin * MINUTE),
    }),
  );

/** Keeps `queued` and lets go of the key as the attempt holding it until minute `heldUntilMin` does. */
const keep = (queued: boolean[], heldUntilMin: number) =>
  keepTrafficUploadQueued(db.pool, { ...key, queued, heldUntil: new Date(T0 + heldUntilMin * MINUTE) });

describe('an Idempotency-Key of a traffic upload', () => {
  it('is not let go by an attempt that outlived its lease when another holds it, nor its record overwritten', async () => {
    expect(await take(0)).toEqual({ kind: 'upload', queued: [false, false, false, false], charged: false });
    // The first attempt is still sending at six minutes: its lease lapsed, and a retry takes the key, the lines not
    // queued charged by the first (which has not let go of the key, nor given back any).
    expect(await take(6)).toEqual({ kind: 'upload', queued: [false, false, false, false], charged: true });
    // The first ends, having queued two lines: it no longer holds the key, so it lets go of nothing.
    expect(await keep([true, true, false, false], 5)).toBe(false);
    // The retry still holds the key: another attempt is answered busy (before: taken, and its lines sent again).
    expect(await take(7)).toEqual({ kind: 'busy' });
    // The retry ends having queued every line; the key is free, with what it kept.
    expect(await keep([true, true, true, true], 11)).toBe(true);
    // Let go: nothing not queued is charged any more.
    expect(await take(8)).toEqual({ kind: 'upload', queued: [true, true, true, true], charged: false });
  });
});
