import { createMerkleTree, toHex, verifyTreeHead } from '@mod/audit';
import type { PublicKeyInfo, SignedTreeHead } from '@mod/audit';
import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import { createPgMerkleStore } from './audit-store.js';
import type { Queryable } from './pool.js';

// The stored tree heads as the log's readers see them. The application role may insert rows into
// audit_tree_heads (the API stores the heads it signs), so a row is a head of the log only when a trusted key
// (`AuditKeys.trusted`: the signing key and older ones kept after a rotation) verifies it and it names this log
// (`audit_log_identity`) or none (a legacy head, signed before heads named their log): every read that hands a
// head to a verifier, or proves against one, skips the others and reports those of a trusted key's id.

interface HeadRow {
  tree_size: number;
  root_hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: string;
  log_id: string | null;
}

const HEAD_COLUMNS = 'tree_size, root_hash, signed_at, key_id, signature, log_id';

function toHead(r: HeadRow): SignedTreeHead {
  return {
    treeSize: r.tree_size,
    rootHash: toHex(r.root_hash),
    timestamp: r.signed_at.toISOString(),
    ...(r.log_id === null ? {} : { logId: r.log_id }),
    keyId: r.key_id,
    signature: r.signature,
  };
}

/** This log's id (`audit_log_identity`, migration 0040): signed into its heads, named in its bundles. */
export async function auditLogId(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ log_id: string }>(
    `/* audit:log-id */ select log_id from audit_log_identity`,
  );
  const logId = rows[0]?.log_id;
  if (logId === undefined) throw new AuditLogError(AuditLogErrorCode.INCONSISTENT, 'the audit log has no id');
  return logId;
}

/**
 * A stored head row of a trusted key's id that is no head of this log, and why: its signature does not verify
 * (`bad_signature`), it names another log (`wrong_log`: another deployment's or a test log's head signed with the
 * same key), or another trusted row of its size signs another root, and the stored tree holds this one's
 * rival's (`fork`). Heads selection passes over them and reports each to its caller.
 */
export interface RefusedHead {
  treeSize: number;
  keyId: string;
  logId: string | null;
  reason: 'bad_signature' | 'wrong_log' | 'fork';
}

/** Where a head selection reports the rows it refused (the API logs them). */
export type RefusedHeadSink = (refused: RefusedHead) => void;

/** The trusted rows of one size, in preference order: the head selection picks one or none. */
async function pickOfSize(
  db: Queryable,
  rows: readonly SignedTreeHead[],
  trusted: readonly PublicKeyInfo[],
  logId: string,
  report: RefusedHeadSink | undefined,
): Promise<SignedTreeHead | null> {
  const refuse = (h: SignedTreeHead, reason: RefusedHead['reason']) =>
    report?.({ treeSize: h.treeSize, keyId: h.keyId, logId: h.logId ?? null, reason });
  const good: SignedTreeHead[] = [];
  for (const h of rows) {
    if (!verifyTreeHead(h, trusted).ok) refuse(h, 'bad_signature');
    else if (h.logId !== undefined && h.logId !== logId) refuse(h, 'wrong_log');
    else good.push(h);
  }
  const first = good[0];
  if (first === undefined || good.every((h) => h.rootHash === first.rootHash)) return first ?? null;
  // Trusted keys signed two roots of one size: the stored tree's is the log's. None of them: the tree itself was
  // rewritten, and the preferred head is kept, so that the signer refuses to extend it (requireExtends).
  const tree = createMerkleTree(createPgMerkleStore(db));
  let root: string | null = null;
  if (first.treeSize <= (await tree.size())) root = toHex(await tree.root(first.treeSize));
  const same = good.filter((h) => h.rootHash === root);
  if (same.length === 0) return first;
  for (const h of good) if (h.rootHash !== root) refuse(h, 'fork');
  return same[0] ?? null;
}

/** Head rows grouped by size, in the order read. */
function bySize(rows: readonly HeadRow[]): SignedTreeHead[][] {
  const groups: SignedTreeHead[][] = [];
  for (const r of rows) {
    const last = groups.at(-1);
    if (last?.[0]?.treeSize === r.tree_size) last.push(toHead(r));
    else groups.push([toHead(r)]);
  }
  return groups;
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

/** Sizes read per query while looking for the newest head of this log. */
const SIZES_PER_PAGE = 100;

/**
 * The newest signed tree head (largest size) of this log, or null before the first one: a row of a trusted key's
 * id whose signature verifies and that names this log (or none: a legacy head); of several such rows of one size,
 * the one `pickOfSize` takes. Rows of other key ids are never read, so however many are stored of one size they
 * cannot push the real head of that size off a page; rows refused are reported to `report`.
 */
export async function latestTreeHead(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  report?: RefusedHeadSink,
): Promise<SignedTreeHead | null> {
  if (trusted.length === 0) return null;
  const logId = await auditLogId(db);
  // A size holds at most one row per key id (the primary key), so a page of this many rows ends inside at most
  // one size, which is read again whole with the next page.
  const limit = SIZES_PER_PAGE * trusted.length;
  let beforeSize: number | null = null;
  for (;;) {
    const result = await db.query<HeadRow>(
      `/* audit:latest-heads */ select ${HEAD_COLUMNS} from audit_tree_heads
       where key_id = any($1::text[]) and ($2::bigint is null or tree_size < $2)
       order by tree_size desc, (log_id is not null) desc, signed_at desc, key_id limit $3`,
      [trusted.map((k) => k.keyId), beforeSize, limit],
    );
    const rows: HeadRow[] = result.rows;
    const groups: SignedTreeHead[][] = bySize(rows);
    const full: boolean = rows.length === limit;
    // A full page's last size may continue on the next: it is read there again whole.
    const whole: SignedTreeHead[][] = full && groups.length > 1 ? groups.slice(0, -1) : groups;
    for (const group of whole) {
      const head = await pickOfSize(db, group, trusted, logId, report);
      if (head !== null) return head;
    }
    const next: number | undefined = whole.at(-1)?.[0]?.treeSize;
    if (!full || next === undefined) return null;
    beforeSize = groups.length > 1 ? (groups.at(-1)?.[0]?.treeSize ?? next) + 1 : next;
  }
}

/**
 * The heads of this log of `treeSizes`, one per size that has one (`pickOfSize`: signature, log id, and of two
 * roots the stored tree's): the one `preferKeyId` signed when it signed that size, else the newest, a head naming
 * the log before a legacy one. A size holds one row per key id, so few rows are read per size.
 */
export async function treeHeadsAt(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  treeSizes: readonly number[],
  preferKeyId?: string,
  report?: RefusedHeadSink,
): Promise<Map<number, SignedTreeHead>> {
  const heads = new Map<number, SignedTreeHead>();
  if (trusted.length === 0) return heads;
  const logId = await auditLogId(db);
  const { rows } = await db.query<HeadRow>(
    `/* audit:heads-at */ select ${HEAD_COLUMNS} from audit_tree_heads
     where tree_size = any($1::bigint[]) and key_id = any($3::text[])
     order by tree_size, (key_id = $2) desc, (log_id is not null) desc, signed_at desc`,
    [treeSizes, preferKeyId ?? null, trusted.map((k) => k.keyId)],
  );
  for (const group of bySize(rows)) {
    const head = await pickOfSize(db, group, trusted, logId, report);
    if (head !== null) heads.set(head.treeSize, head);
  }
  return heads;
}

/** The head of this log of exactly `treeSize` leaves (the newest if several trusted keys signed it), or null. */
export async function treeHeadAt(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  treeSize: number,
  report?: RefusedHeadSink,
): Promise<SignedTreeHead | null> {
  return (await treeHeadsAt(db, trusted, [treeSize], undefined, report)).get(treeSize) ?? null;
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
  report?: RefusedHeadSink,
): Promise<SignedTreeHead> {
  const size = treeSize ?? (await latestTreeHead(db, trusted, report))?.treeSize;
  const head =
    size === undefined ? undefined : (await treeHeadsAt(db, trusted, [size], preferKeyId, report)).get(size);
  if (head === undefined) {
    throw new AuditLogError(
      AuditLogErrorCode.NO_TREE_HEAD,
      treeSize === undefined ? 'no signed tree head yet' : `no signed tree head of size ${treeSize}`,
    );
  }
  return head;
}
