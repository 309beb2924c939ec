import pg from 'pg';
import {
  EMPTY_ROOT,
  assembleProof,
  consistencyPlan,
  decodeRecord,
  foldNodes,
  inclusionPlan,
  readPlanNodes,
  rootPlan,
  toHex,
} from '@mod/audit';
import type {
  BundleEntry,
  BundleScope,
  LogAuditBundle,
  MerkleStore,
  ProofElement,
  PublicKeyInfo,
  SignedTreeHead,
  SigningKey,
} from '@mod/audit';
import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import { latestTreeHead, resolveHead, treeHeadsAt, type RefusedHeadSink } from './audit-heads.js';
import { keyHistoryBundle, signLogBundle } from './audit-key-history.js';
import { MerkleNodeCache } from './audit-node-cache.js';
import {
  auditAudience,
  auditScopeArgs,
  auditScopeWhere,
  requireFewRefMatches,
  type AuditScope,
} from './audit-scope.js';
import { createPgMerkleStore } from './audit-store.js';
import { auditTextsOf } from './audit-texts.js';
import { requireRecordedTimes, seqRangeOfTime } from './audit-time-window.js';
import type { Queryable } from './pool.js';

/** Upper-node caches of the pools that served proofs (see `MerkleNodeCache`): one per database schema. */
const nodeCaches = new WeakMap<pg.Pool, MerkleNodeCache>();

/**
 * The store proofs in a tree of `size` (committed) leaves read from. Through a pool, the nodes of the upper
 * levels come from the pool's `MerkleNodeCache`, grown to `size` first, so a proof reads only the lowest
 * levels from Postgres. Inside a transaction nothing is cached (what it reads could still roll back).
 */
async function proofStore(db: Queryable, size: number): Promise<MerkleStore> {
  const store = createPgMerkleStore(db);
  if (!(db instanceof pg.Pool)) return store;
  let cache = nodeCaches.get(db);
  if (cache === undefined) {
    cache = new MerkleNodeCache();
    nodeCaches.set(db, cache);
  }
  await cache.cover(db, size);
  return cache.over(store);
}

/**
 * Fills the pool's upper-node cache up to the latest head a `trusted` key signed (one query), so that the first proofs a
 * process serves do not pay for it; returns the number of nodes held (0 before the first head).
 */
export async function warmAuditProofCache(db: pg.Pool, trusted: readonly PublicKeyInfo[]): Promise<number> {
  const head = await latestTreeHead(db, trusted);
  if (head === null) return 0;
  await proofStore(db, head.treeSize);
  return nodeCaches.get(db)?.nodeCount ?? 0;
}

/**
 * Bundle entries for stored records, proven against a tree of `size` leaves, with one batched node read
 * for every proof. Like `@mod/audit` `createBundle`: the leaf index is the seq inside the record text, the
 * leaf hash is the one stored in the tree (not recomputed), and rows are taken as found, so a record changed,
 * deleted or moved in the database shows up in verification instead of being repaired here.
 */
async function bundleEntries(
  db: Queryable,
  rows: readonly { seq: number; record: string }[],
  size: number,
): Promise<BundleEntry[]> {
  const located = rows.map((r) => {
    let index = r.seq;
    try {
      index = decodeRecord(r.record).record.seq;
    } catch {
      // Not a valid canonical record any more: prove its row's position; the verifier reports it changed.
    }
    return { index: index < size ? index : r.seq, record: r.record };
  });
  const plans = located.map((l) => inclusionPlan(l.index, size));
  const leaves: ProofElement = located.map((l) => ({ level: 0, index: l.index }));
  const lookup = await readPlanNodes(await proofStore(db, size), [...plans.flat(), leaves]);
  // Erasable free text rides beside the record (its commitment is inside): kept with its salt, or erased.
  const texts = await auditTextsOf(
    db,
    located.map((l) => l.index),
  );
  return located.map((l, i) => {
    const kept = texts.get(l.index);
    return {
      leafIndex: l.index,
      leafHash: toHex(lookup({ level: 0, index: l.index })),
      record: l.record,
      inclusionProof: assembleProof(plans[i] ?? [], lookup).map(toHex),
      ...(kept === undefined ? {} : { texts: kept }),
    };
  });
}

/** One record with its inclusion proof against a signed head: a one-entry bundle's content. */
export interface AuditInclusionProof {
  treeHead: SignedTreeHead;
  entry: BundleEntry;
}

/**
 * Inclusion proof of record `seq` against the head of `treeSize` leaves a `trusted` key signed (default: the
 * latest such head).
 * O(log n) node reads in one query.
 */
export async function auditInclusionProof(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  seq: number,
  treeSize?: number,
  report?: RefusedHeadSink,
): Promise<AuditInclusionProof> {
  const head = await resolveHead(db, trusted, treeSize, undefined, report);
  if (seq >= head.treeSize) {
    throw new AuditLogError(
      AuditLogErrorCode.OUT_OF_RANGE,
      `record ${seq} is not in the signed tree of ${head.treeSize} records`,
    );
  }
  const { rows } = await db.query<{ seq: number; record: string }>(
    `/* audit:record */ select seq, record from audit_records where seq = $1`,
    [seq],
  );
  if (rows[0] === undefined)
    throw new AuditLogError(AuditLogErrorCode.OUT_OF_RANGE, `record ${seq} not found`);
  const [entry] = await bundleEntries(db, rows, head.treeSize);
  return { treeHead: head, entry: entry as BundleEntry };
}

/** RFC 9162 consistency proof between the trees of `size1` and `size2` leaves, with both roots. */
export interface AuditConsistencyProof {
  size1: number;
  size2: number;
  rootHash1: string;
  rootHash2: string;
  proof: string[];
  /** The signed heads of those sizes, when the log signed them. */
  treeHead1: SignedTreeHead | null;
  treeHead2: SignedTreeHead | null;
  /**
   * The log's key history, signed by the signing key (`keyHistoryBundle`: a record-less `mod.audit.bundle.v3` bound
   * to `treeHead2`), so a verifier holding the current key alone takes heads a rotated-out key signed. Present when
   * a signing key was given and the log signed `size2`.
   */
  history?: LogAuditBundle;
}

/** Options of `auditConsistencyProof`. */
export interface AuditConsistencyOptions {
  /** Told of each stored head row of a trusted key's id that is no head of this log (`RefusedHead`). */
  report?: RefusedHeadSink;
  /** The log's signing key: with it the proof carries the log's key history (`history`), signed by it. */
  signingKey?: SigningKey | null;
  /** Clock of the key history's signature. Default: system time. */
  now?: () => Date;
}

/**
 * Consistency proof from `size1` to `size2` (default: the latest trusted head's size), with both roots and
 * the heads of those sizes a `trusted` key signed: every node in one read, the heads in one query; with the
 * signing key, the log's signed key history too.
 */
export async function auditConsistencyProof(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  size1: number,
  size2?: number,
  options: AuditConsistencyOptions = {},
): Promise<AuditConsistencyProof> {
  const { report } = options;
  const signingKey = options.signingKey ?? null;
  const to = size2 ?? (await resolveHead(db, trusted, undefined, undefined, report)).treeSize;
  const current = await createPgMerkleStore(db).size();
  if (!(size1 >= 0 && size1 <= to && to <= current)) {
    throw new AuditLogError(
      AuditLogErrorCode.OUT_OF_RANGE,
      `need 0 <= size1 <= size2 <= ${current}, got ${size1} and ${to}`,
    );
  }
  const plan = consistencyPlan(size1, to);
  const [peaks1, peaks2] = [rootPlan(size1), rootPlan(to)];
  const lookup = await readPlanNodes(await proofStore(db, to), [...plan, peaks1, peaks2]);
  const root = (peaks: ProofElement): Buffer =>
    peaks.length === 0 ? Buffer.from(EMPTY_ROOT) : foldNodes(peaks.map(lookup));
  const heads = await treeHeadsAt(db, trusted, [size1, to], undefined, report);
  const treeHead2 = heads.get(to) ?? null;
  const signedAt = (options.now ?? (() => new Date()))();
  const history =
    signingKey === null || treeHead2 === null
      ? undefined
      : await keyHistoryBundle(db, treeHead2, { signingKey, trusted, signedAt });
  return {
    size1,
    size2: to,
    rootHash1: toHex(root(peaks1)),
    rootHash2: toHex(root(peaks2)),
    proof: assembleProof(plan, lookup).map(toHex),
    treeHead1: heads.get(size1) ?? null,
    treeHead2,
    ...(history === undefined ? {} : { history }),
  };
}

/** What to export: a seq range, a time range, or every record referring to one of some ids (a case). */
export type AuditExportScope =
  | { kind: 'range'; fromSeq: number; toSeq: number }
  | { kind: 'time'; from: Date; to: Date }
  | { kind: 'refs'; refs: readonly string[]; label?: string };

/** Options of `exportAuditBundle`. */
export interface AuditExportOptions {
  /** The log's signing key: it signs the bundle's scope, log id and key history (`mod.audit.bundle.v3`). */
  signingKey: SigningKey;
  /** Whose view of the log to export (`AuditScope`): only the records it may see. Default: every record. */
  reader?: AuditScope;
  /** Prove against the signed head of this size (default: the latest signed head). */
  treeSize?: number;
  /**
   * Keys whose heads are the log's (`AuditKeys.trusted`); rows none of them signed are skipped. Default: the
   * signing key. Of several trusted heads of one size, the signing key's is exported: right after a rotation
   * the signer signs the current size with the new key, and a verifier without keys of its own takes only a
   * scope signed by the head's key.
   */
  trusted?: readonly PublicKeyInfo[];
  /** Largest number of records in one bundle (default 10,000); more is MOD_ERR_AUDIT_LOG_TOO_MANY_RECORDS. */
  maxRecords?: number;
  /** Clock of the scope signature. Default: system time. */
  now?: () => Date;
  /** Told of each stored head row of a trusted key's id that is no head of this log (`RefusedHead`). */
  report?: RefusedHeadSink;
}

/**
 * An export bundle (`mod.audit.bundle.v3`) that `modctl audit verify` checks offline: the records in scope
 * (only those inside the signed tree, and only those `reader` may see), their inclusion proofs, the signed
 * head, the public keys that signed heads, and the log's signature over the scope: which records the bundle
 * claims to hold (the seqs or the seq range, what was asked for, and for whom: `audience`), bound to the
 * head, so that none can be removed unseen. A case (`refs`) takes every record whose subject id, evidence
 * digest or evidence document mentions one of the ids (e.g. an order id or a submission id); a time range maps
 * to the seq range of the records appended in [from, to). For a reader who may not see every record, a range
 * becomes the list of the records in it that the reader may see (the scope says so).
 */
export async function exportAuditBundle(
  db: Queryable,
  scope: AuditExportScope,
  options: AuditExportOptions,
): Promise<LogAuditBundle> {
  const { signingKey } = options;
  const trusted = options.trusted ?? [signingKey];
  const head = await resolveHead(db, trusted, options.treeSize, signingKey.keyId, options.report);
  const reader = options.reader ?? { all: true };
  const audience = auditAudience(reader);
  const max = options.maxRecords ?? 10_000;
  const last = head.treeSize - 1;
  let bundleScope: BundleScope;
  let seqs: number[] | null = null;
  if (scope.kind === 'refs') {
    await requireFewRefMatches(db, scope.refs, head.treeSize, 10 * max);
    const { rows } = await db.query<{ seq: number }>(
      `/* audit:case-seqs */ select r.seq from audit_records r
       where r.seq in (select seq from audit_refs where ref = any($1::text[]) and seq < $2)
         and ${auditScopeWhere(4)}
       order by r.seq limit $3`,
      [scope.refs, head.treeSize, max + 1, ...auditScopeArgs(reader)],
    );
    seqs = rows.map((r) => r.seq);
    bundleScope = {
      kind: 'records',
      seqs,
      label: scope.label ?? scope.refs.join(','),
      refs: [...scope.refs],
      audience,
    };
  } else {
    let from: number;
    let to: number;
    const asked = scope.kind === 'time' ? { from: scope.from.toISOString(), to: scope.to.toISOString() } : {};
    if (scope.kind === 'range') {
      ({ fromSeq: from, toSeq: to } = scope);
    } else {
      ({ from, to } = await seqRangeOfTime(db, scope, head.treeSize));
    }
    if (to < from) {
      seqs = [];
      bundleScope = { kind: 'records', seqs, label: 'empty', ...asked, audience };
    } else {
      if (from < 0 || to > last) {
        throw new AuditLogError(
          AuditLogErrorCode.OUT_OF_RANGE,
          `seq range ${from}..${to} is not inside the signed tree of ${head.treeSize} records`,
        );
      }
      if (to - from + 1 > max) {
        throw new AuditLogError(
          AuditLogErrorCode.TOO_MANY_RECORDS,
          `${to - from + 1} records exceed the export limit of ${max}`,
        );
      }
      if (reader.all) bundleScope = { kind: 'range', fromSeq: from, toSeq: to, ...asked, audience };
      else {
        const { rows } = await db.query<{ seq: number }>(
          `/* audit:range-seqs */ select r.seq from audit_records r where r.seq between $1 and $2
             and ${auditScopeWhere(3)} order by r.seq`,
          [from, to, ...auditScopeArgs(reader)],
        );
        seqs = rows.map((r) => r.seq);
        bundleScope = { kind: 'records', seqs, label: null, fromSeq: from, toSeq: to, ...asked, audience };
      }
    }
    if (scope.kind === 'time') await requireRecordedTimes(db, from, to, head.treeSize);
  }
  if (seqs !== null && seqs.length > max) {
    throw new AuditLogError(
      AuditLogErrorCode.TOO_MANY_RECORDS,
      `more than ${max} records match: narrow the export`,
    );
  }
  const { rows } = await db.query<{ seq: number; record: string }>(
    bundleScope.kind === 'range'
      ? `/* audit:export-range */ select seq, record from audit_records where seq between $1 and $2 order by seq`
      : `/* audit:export-seqs */ select seq, record from audit_records where seq = any($1::bigint[]) order by seq`,
    bundleScope.kind === 'range' ? [bundleScope.fromSeq, bundleScope.toSeq] : [bundleScope.seqs],
  );
  const signedAt = (options.now ?? (() => new Date()))();
  const entries = await bundleEntries(db, rows, head.treeSize);
  return signLogBundle(db, { scope: bundleScope, head, entries, signingKey, trusted, signedAt });
}

/** An evidence document behind a record's digest: recompute SHA-256(document) to check it. */
export interface AuditEvidence {
  name: string;
  /** The digest the record carries. */
  digest: string;
  /** Canonical JSON text whose UTF-8 SHA-256 is `digest`. */
  document: string;
}

/** The evidence documents of record `seq` (digests that were hex already have none). */
export async function auditEvidence(db: Queryable, seq: number): Promise<AuditEvidence[] | null> {
  const { rows } = await db.query<{ record: string }>(
    `/* audit:record */ select record from audit_records where seq = $1`,
    [seq],
  );
  if (rows[0] === undefined) return null;
  const evidence = decodeRecord(rows[0].record).record.evidence;
  const docs = await db.query<{ name: string; document: string }>(
    `/* audit:evidence */ select name, document from audit_evidence where seq = $1 order by name`,
    [seq],
  );
  return docs.rows.map((d) => ({ name: d.name, digest: evidence[d.name] ?? '', document: d.document }));
}
