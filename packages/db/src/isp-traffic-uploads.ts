import type { Queryable } from './pool.js';

/** What a tenant's Idempotency-Key of a traffic-sample upload names. */
export interface TrafficUploadKey {
  tenantId: string;
  idempotencyKey: string;
}

/**
 * What taking a key found: another body (`conflict`), another attempt under way (`busy`), or which of the upload's
 * valid lines earlier attempts queued.
 */
export type TrafficUploadTaken =
  | { kind: 'conflict' }
  | { kind: 'busy' }
  | {
      kind: 'upload';
      queued: boolean[];
      /**
       * The key was still held by an attempt whose hold lapsed (it died, or could not keep what it queued): that
       * attempt charged the lines not queued, and nothing gave them back, so they are not charged again.
       */
      charged: boolean;
    };

const packBits = (flags: readonly boolean[]): Buffer => {
  const bytes = Buffer.alloc(Math.ceil(flags.length / 8));
  flags.forEach((set, i) => {
    if (set) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return bytes;
};
const unpackBits = (bytes: Buffer, count: number): boolean[] =>
  Array.from({ length: count }, (_, i) => ((bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0);

/**
 * Takes a tenant's Idempotency-Key for an attempt at an upload of `lines` valid lines whose decoded body digests to
 * `bodySha256`, holding it until `busyUntil` (a lease, cleared by `keepTrafficUploadQueued`). Run it in a
 * transaction of its own: its row is locked only until that commits, so two attempts never both hold the key. The
 * primary key decides, never a read before the write. A key whose window ended (`now`) but that the prune has not
 * deleted yet is taken anew. Answers `conflict` when the key names another body, `busy` while another attempt holds
 * it, else one flag per valid line: queued by an earlier attempt. A held key stands for a charge: the caller charges
 * the lines not queued in this transaction (`charged` false), and they stay charged until `keepTrafficUploadQueued`
 * lets the key go (and the caller gives back, in its transaction, those still not queued).
 */
export async function takeTrafficUploadKey(
  db: Queryable,
  k: TrafficUploadKey & { bodySha256: Buffer; lines: number; expiresAt: Date; busyUntil: Date; now: Date },
): Promise<TrafficUploadTaken> {
  await db.query(
    `/* isp:traffic-upload-take */ insert into isp_traffic_uploads
       (tenant_id, idempotency_key, body_sha256, lines, queued, expires_at)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (tenant_id, idempotency_key) do update
       set body_sha256 = excluded.body_sha256, lines = excluded.lines, queued = excluded.queued,
           expires_at = excluded.expires_at, busy_until = null
       where isp_traffic_uploads.expires_at <= $7`,
    [
      k.tenantId,
      k.idempotencyKey,
      k.bodySha256,
      k.lines,
      packBits(new Array<boolean>(k.lines).fill(false)),
      k.expiresAt,
      k.now,
    ],
  );
  const { rows } = await db.query<{
    body_sha256: Buffer;
    lines: number;
    queued: Buffer;
    busy: boolean;
    lapsed: boolean;
  }>(
    `/* isp:traffic-upload-read */ select body_sha256, lines, queued,
       coalesce(busy_until > $3, false) as busy, busy_until is not null as lapsed
     from isp_traffic_uploads where tenant_id = $1 and idempotency_key = $2 for update`,
    [k.tenantId, k.idempotencyKey, k.now],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('traffic upload key taken without a row');
  if (!row.body_sha256.equals(k.bodySha256) || row.lines !== k.lines) return { kind: 'conflict' };
  if (row.busy) return { kind: 'busy' };
  await db.query(
    `/* isp:traffic-upload-hold */ update isp_traffic_uploads set busy_until = $3
     where tenant_id = $1 and idempotency_key = $2`,
    [k.tenantId, k.idempotencyKey, k.busyUntil],
  );
  return { kind: 'upload', queued: unpackBits(row.queued, row.lines), charged: row.lapsed };
}

/**
 * Keeps which of the upload's valid lines are queued now, and lets go of the key (`takeTrafficUploadKey`), while the
 * attempt still holds it (`heldUntil`: the `busyUntil` it took the key with). An attempt that outlived its lease, the
 * key taken since by another, changes nothing: it would let go of the other's hold (a third attempt would then send
 * and charge again what the other is sending) and write over what the other keeps. True when it let go of the key.
 */
export async function keepTrafficUploadQueued(
  db: Queryable,
  k: TrafficUploadKey & { queued: readonly boolean[]; heldUntil: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* isp:traffic-upload-keep */ update isp_traffic_uploads set queued = $3, busy_until = null
     where tenant_id = $1 and idempotency_key = $2 and lines = $4 and busy_until = $5`,
    [k.tenantId, k.idempotencyKey, packBits(k.queued), k.queued.length, k.heldUntil],
  );
  return rowCount === 1;
}

/**
 * Keeps which of the upload's valid lines are queued so far and holds the key on until `until`, while the attempt
 * still holds it (`heldUntil`): an attempt that makes progress is not taken for one that died. False when it no
 * longer holds it (its hold lapsed and another attempt took the key).
 */
export async function renewTrafficUploadKey(
  db: Queryable,
  k: TrafficUploadKey & { queued: readonly boolean[]; heldUntil: Date; until: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* isp:traffic-upload-renew */ update isp_traffic_uploads set queued = $3, busy_until = $6
     where tenant_id = $1 and idempotency_key = $2 and lines = $4 and busy_until = $5`,
    [k.tenantId, k.idempotencyKey, packBits(k.queued), k.queued.length, k.heldUntil, k.until],
  );
  return rowCount === 1;
}

/** Forgets the uploads whose key's window ended at `now`; rows a retry holds are skipped (the next pass has them). */
export async function pruneTrafficUploads(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `/* isp:traffic-upload-prune */ delete from isp_traffic_uploads where ctid = any (array(
       select ctid from isp_traffic_uploads where expires_at <= $1 for update skip locked))`,
    [now],
  );
  return rowCount ?? 0;
}
