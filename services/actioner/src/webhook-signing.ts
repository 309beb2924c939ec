import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-mod-signature';
/** Header carrying the delivery id: the same on every retry, so receivers can drop repeats. */
export const DELIVERY_HEADER = 'x-mod-delivery';

/** HMAC-SHA256 over `<timestamp>.<body>`, hex. Signing the timestamp makes an old request unusable later. */
export function signWebhook(secret: string, timestampS: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, timestampS: number, body: string): string {
  return `t=${timestampS},v1=${signWebhook(secret, timestampS, body)}`;
}

export type WebhookCheck =
  | { ok: true; timestampS: number }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'stale' | 'replayed' };

/**
 * What a receiver remembers against replays, bounded in memory. Signatures are kept twice the tolerance window
 * from their acceptance, and at least until their timestamp leaves the window the receiver checked them with
 * (`verifyWebhook`'s `toleranceS` may be wider than the guard's): past that they are refused as stale anyway.
 * Delivery ids are kept longer (`deliveryRetentionS`, default a day: our retries of one delivery span hours,
 * each signed afresh under the same id) and at most `maxDeliveries` of them, the oldest forgotten first.
 */
export class WebhookReplayGuard {
  readonly toleranceS: number;
  private readonly deliveryRetentionS: number;
  private readonly maxDeliveries: number;
  /** Signature → unix seconds until which it is kept; insertion order is acceptance order. */
  private readonly signatures = new Map<string, number>();
  /** Delivery id → unix seconds when it was accepted; insertion order is acceptance order. */
  private readonly deliveries = new Map<string, number>();

  constructor(o: { toleranceS?: number; deliveryRetentionS?: number; maxDeliveries?: number } = {}) {
    this.toleranceS = o.toleranceS ?? 300;
    this.deliveryRetentionS = o.deliveryRetentionS ?? 86_400;
    this.maxDeliveries = o.maxDeliveries ?? 100_000;
  }

  /** True when the signature or the delivery id was accepted before (and is still remembered). */
  seen(signature: string, deliveryId: string | undefined, nowS: number): boolean {
    this.forget(nowS);
    return this.signatures.has(signature) || (deliveryId !== undefined && this.deliveries.has(deliveryId));
  }

  /**
   * Remembers an accepted request. `freshUntilS`: the last second its timestamp is fresh for the receiver
   * (`timestamp + toleranceS` as checked); the signature is kept at least that long.
   */
  accept(signature: string, deliveryId: string | undefined, nowS: number, freshUntilS = 0): void {
    this.signatures.set(signature, Math.max(nowS + 2 * this.toleranceS, freshUntilS));
    if (deliveryId === undefined) return;
    this.deliveries.delete(deliveryId);
    this.deliveries.set(deliveryId, nowS);
    if (this.deliveries.size > this.maxDeliveries)
      this.deliveries.delete(this.deliveries.keys().next().value!);
  }

  /** How many keys are remembered (signatures, delivery ids). */
  size(): { signatures: number; deliveries: number } {
    return { signatures: this.signatures.size, deliveries: this.deliveries.size };
  }

  private forget(nowS: number): void {
    // Both maps are in acceptance order, so the expired keys are at the front (a signature kept longer than the
    // next ones only holds them back a while). A signature is kept twice the tolerance at least: a request
    // stamped up to `toleranceS` ahead of the receiver's clock stays fresh that long.
    dropOlder(this.signatures, nowS, 0);
    dropOlder(this.deliveries, nowS, this.deliveryRetentionS);
  }
}

/** Drops the front keys whose time plus `keptS` is past `nowS`, up to the first one still kept. */
function dropOlder(m: Map<string, number>, nowS: number, keptS: number): void {
  for (const [key, atS] of m) {
    if (atS + keptS >= nowS) return;
    m.delete(key);
  }
}

/**
 * What a receiver does with a request (exported for targets and for tests): parse the signature header,
 * compare the HMAC in constant time, refuse a timestamp outside `toleranceS` of `nowS` (default 300), and,
 * given a replay guard, refuse a delivery id or a signature already accepted (a replay, under its own delivery
 * id or another: that header is not signed).
 */
export function verifyWebhook(a: {
  secret: string;
  header: string | undefined;
  body: string;
  nowS: number;
  toleranceS?: number;
  deliveryId?: string;
  replays?: WebhookReplayGuard;
}): WebhookCheck {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(a.header ?? '');
  if (!m) return { ok: false, reason: 'malformed' };
  const timestampS = Number(m[1]);
  const expected = Buffer.from(signWebhook(a.secret, timestampS, a.body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(m[2] ?? '', 'hex')))
    return { ok: false, reason: 'bad-signature' };
  const tolerance = a.toleranceS ?? a.replays?.toleranceS ?? 300;
  if (Math.abs(a.nowS - timestampS) > tolerance) return { ok: false, reason: 'stale' };
  if (a.replays !== undefined) {
    // The delivery id header is not signed: a captured request sent again under a new id is still the same
    // signature, so the signature is remembered too (a retry is signed afresh and carries the same id).
    const signature = m[2] ?? '';
    if (a.replays.seen(signature, a.deliveryId, a.nowS)) return { ok: false, reason: 'replayed' };
    a.replays.accept(signature, a.deliveryId, a.nowS, timestampS + tolerance);
  }
  return { ok: true, timestampS };
}
