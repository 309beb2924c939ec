import { toHex, verifyTreeHead } from '@mod/audit';
import type { PublicKeyInfo, SignedTreeHead } from '@mod/audit';
import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import type { Queryable } from './pool.js';

// The stored tree heads as the log's readers see them. The application role may insert rows into
// audit_tree_heads (the API stores the heads it signs), so a row is a head of the log only when a trusted key
// (`AuditKeys.trusted`: the signing key and older ones kept after a rotation) verifies it: every read that hands
// a head to a verifier, or proves against one, skips the others.

interface HeadRow {
  tree_size: number;
  root_hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: string;
}

const HEAD_COLUMNS = 'tree_size, root_hash, signed_at, key_id, signature';

function toHead(r: HeadRow): SignedTreeHead {
  return {
    treeSize: r.tree_size,
    rootHash: toHex(r.root_hash),
    timestamp: r.signed_at.toISOString(),
    keyId: r.key_id,
    signature: r.signature,
  };
}

/**
 * Stored head rows, newest first (at most `limit`, default 100), as stored: none is checked. For authorities
 * that audit the log itself (`verifyStoredAuditLog` checks each) and for the trusted reads below.
 */
export async function listTreeHeads(
  db: Queryable,
  options: { beforeSize?: number; limit?: number } = {},
): Promise<SignedTreeHead[]> {
  const { rows } = await db.query<HeadRow>(
    `/* audit:list-heads */ select ${HEAD_COLUMNS} from audit_tree_heads
     where ($1::bigint is null or tree_size < $1) order by tree_size desc, signed_at desc limit $2`,
    [options.beforeSize ?? null, options.limit ?? 100],
  );
  return rows.map(toHead);
}

/** Public keys that signed tree heads: key id and base64 SPKI DER (what bundles carry). */
export async function auditPublicKeys(db: Queryable): Promise<{ keyId: string; spki: string }[]> {
  const { rows } = await db.query<{ key_id: string; spki: string }>(
    `/* audit:public-keys */ select key_id, spki from audit_signing_keys order by first_used_at, key_id`,
  );
  return rows.map((r) => ({ keyId: r.key_id, spki: r.spki }));
}

/** Stored heads read per query while looking for the newest one a trusted key signed. */
const HEADS_PER_PAGE = 100;

/**
 * The newest signed tree head (largest size) a `trusted` key signed, or null before the first one. Rows no
 * trusted key verifies are passed over, however large their size: one forged far beyond the tree is no head.
 */
export async function latestTreeHead(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
): Promise<SignedTreeHead | null> {
  let beforeSize: number | undefined;
  for (;;) {
    const page = await listTreeHeads(db, {
      ...(beforeSize === undefined ? {} : { beforeSize }),
      limit: HEADS_PER_PAGE,
    });
    const good = page.find((h) => verifyTreeHead(h, trusted).ok);
    if (good !== undefined) return good;
    const oldest = page.at(-1);
    if (page.length < HEADS_PER_PAGE || oldest === undefined) return null;
    // Heads of one size on this page's edge may continue on the next: read from that size down again.
    beforeSize = oldest.treeSize + (page.every((h) => h.treeSize === oldest.treeSize) ? 0 : 1);
  }
}

/**
 * The trusted heads of `treeSizes`, one per size that has one: the one `preferKeyId` signed when it signed
 * that size, else the newest. A size holds one row per key id, so few rows are read per size.
 */
export async function treeHeadsAt(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  treeSizes: readonly number[],
  preferKeyId?: string,
): Promise<Map<number, SignedTreeHead>> {
  const { rows } = await db.query<HeadRow>(
    `/* audit:heads-at */ select ${HEAD_COLUMNS} from audit_tree_heads
     where tree_size = any($1::bigint[]) order by tree_size, (key_id = $2) desc, signed_at desc`,
    [treeSizes, preferKeyId ?? null],
  );
  const heads = new Map<number, SignedTreeHead>();
  for (const head of rows.map(toHead))
    if (!heads.has(head.treeSize) && verifyTreeHead(head, trusted).ok) heads.set(head.treeSize, head);
  return heads;
}

/** The trusted head of exactly `treeSize` leaves (the newest if several trusted keys signed it), or null. */
export async function treeHeadAt(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  treeSize: number,
): Promise<SignedTreeHead | null> {
  return (await treeHeadsAt(db, trusted, [treeSize])).get(treeSize) ?? null;
}

/**
 * The trusted head of `treeSize` leaves, or the latest when undefined, preferring at that size the head
 * `preferKeyId` signed; MOD_ERR_AUDIT_LOG_NO_TREE_HEAD when there is none.
 */
export async function resolveHead(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  treeSize: number | undefined,
  preferKeyId?: string,
): Promise<SignedTreeHead> {
  const size = treeSize ?? (await latestTreeHead(db, trusted))?.treeSize;
  const head =
    size === undefined ? undefined : (await treeHeadsAt(db, trusted, [size], preferKeyId)).get(size);
  if (head === undefined) {
    throw new AuditLogError(
      AuditLogErrorCode.NO_TREE_HEAD,
      treeSize === undefined ? 'no signed tree head yet' : `no signed tree head of size ${treeSize}`,
    );
  }
  return head;
}
