import pg from 'pg';
import {
  AuditError,
  AuditErrorCode,
  buildRecord,
  computeAppendNodes,
  decodeRecord,
  encodeRecord,
  toAuditDraft,
  toHex,
} from '@mod/audit';
import type { AuditEntry, AuditRecord } from '@mod/audit';
import { nextPeaks, putNodesWith, readTreeEdge } from './audit-store.js';
import { withTransaction, type Pool, type Queryable } from './pool.js';

export type { AuditEntry } from '@mod/audit';

/** A record as the log holds it: the strict `@mod/audit` record, its canonical text and leaf hash. */
export interface StoredAuditRecord extends AuditRecord {
  /** Same as `time` (kept for callers of the former chain log). */
  at: string;
  /** Canonical JSON text: the exact bytes hashed into the Merkle leaf. */
  canonical: string;
  /** Hex leaf hash SHA-256(0x00 || canonical). */
  leafHash: string;
  /**
   * Committed fields whose text was erased (`eraseAuditText`), with when: such a field stays null. A committed
   * field still kept is filled in from `audit_texts` (`reason`), as a legacy record holds it itself.
   */
  erased?: Record<string, string>;
}

/** The fields of a stored record its kept texts fill in (`reason`), and those erased. */
function textFields(
  texts: readonly { field: string; text: string | null; erasedAt?: Date | null }[],
): Partial<StoredAuditRecord> {
  const out: Partial<StoredAuditRecord> = {};
  for (const t of texts) {
    if (t.text !== null && t.field === 'reason') out.reason = t.text;
    else if (t.erasedAt instanceof Date) out.erased = { ...out.erased, [t.field]: t.erasedAt.toISOString() };
  }
  return out;
}

const AUDIT_LOCK = 'mod-audit-append';

/**
 * Per-connection memory of the tree's right edge, valid only inside the transaction `txid` (which holds the
 * append lock): the second and later appends of one transaction read nothing from the tree.
 */
interface EdgeCache {
  txid: string;
  size: number;
  peaks: Uint8Array[];
}
const edges = new WeakMap<object, EdgeCache>();

/**
 * Appends records as one batch inside the caller's transaction (given a Pool, it opens one). Takes a
 * transaction-scoped advisory lock (one total order across every process), assigns seq = tree size, turns
 * each entry into a strict `@mod/audit` record (`toAuditDraft`: evidence documents stored in
 * `audit_evidence`, their digests in the record), and appends leaves and new subtree hashes as the Postgres
 * `MerkleStore` does: the tree's right edge read in one query for the first append of a transaction (`readTreeEdge`),
 * none for later ones, then one statement writing the nodes and the records together (`putNodesWith`). The records
 * become visible, and part of the tree, when the caller commits.
 */
export async function appendAuditBatch(
  db: Queryable,
  entries: readonly AuditEntry[],
): Promise<StoredAuditRecord[]> {
  if (db instanceof pg.Pool) return withTransaction(db, (c) => appendAuditBatch(c, entries));
  if (entries.length === 0) return [];
  const { rows } = await db.query<{ txid: string; at: Date }>(
    `/* audit:lock */ select txid_current()::text as txid, date_trunc('milliseconds', clock_timestamp()) as at
     from (select pg_advisory_xact_lock(hashtext($1 || ':' || current_schema()))) as locked`,
    [AUDIT_LOCK],
  );
  const txid = rows[0]?.txid ?? '';
  const at = rows[0]?.at ?? new Date();
  const normalised = entries.map((e) => toAuditDraft(e));

  for (let attempt = 0; ; attempt++) {
    let edge = edges.get(db);
    if (edge?.txid !== txid) edge = { txid, ...(await readTreeEdge(db)) };
    const first = edge.size;
    const encoded = normalised.map((n, i) => encodeRecord(buildRecord(n.draft, first + i, () => at)));
    const nodes = computeAppendNodes(
      first,
      edge.peaks,
      encoded.map((e) => e.leafHash),
    );
    const to = first + encoded.length;
    const evidence = normalised.flatMap((n, i) =>
      n.documents.map((d) => ({ seq: first + i, name: d.name, document: d.document })),
    );
    const refs = normalised.flatMap((n, i) => n.refs.map((ref) => ({ ref, seq: first + i })));
    const texts = normalised.flatMap((n, i) => n.texts.map((t) => ({ ...t, seq: first + i })));
    // The records, their evidence, texts and refs go in the nodes' statement, written only if the size moved.
    const written = {
      ctes: `r as (
         insert into audit_records (seq, record, recorded_at)
         select * from unnest($6::bigint[], $7::text[], $8::timestamptz[]) where exists (select from moved)
       ), e as (
         insert into audit_evidence (seq, name, document)
         select * from unnest($9::bigint[], $10::text[], $11::text[]) where exists (select from moved)
       ), t as (
         insert into audit_texts (seq, field, text, salt)
         select seq, field, text, decode(salt, 'hex') from unnest($14::bigint[], $15::text[], $16::text[], $17::text[])
           as x(seq, field, text, salt) where exists (select from moved)
       ), f as (
         insert into audit_refs (ref, seq) select * from unnest($12::text[], $13::bigint[])
         where exists (select from moved) on conflict do nothing
       )`,
      params: [
        encoded.map((e) => e.record.seq),
        encoded.map((e) => e.canonical),
        encoded.map(() => at),
        evidence.map((e) => e.seq),
        evidence.map((e) => e.name),
        evidence.map((e) => e.document),
        refs.map((r) => r.ref),
        refs.map((r) => r.seq),
        texts.map((t) => t.seq),
        texts.map((t) => t.field),
        texts.map((t) => t.text),
        texts.map((t) => t.salt),
      ],
    };
    try {
      await putNodesWith(db, nodes, first, to, written);
    } catch (err) {
      // A stale edge (a savepoint rolled back an append of this transaction): re-read once under the lock.
      edges.delete(db);
      if (attempt === 0 && err instanceof AuditError && err.code === AuditErrorCode.STORE_CONFLICT) continue;
      throw err;
    }
    edges.set(db, { txid, size: to, peaks: nextPeaks(first, edge.peaks, nodes, to) });
    return encoded.map((e, i) => ({
      ...e.record,
      ...textFields(normalised[i]?.texts ?? []),
      at: e.record.time,
      canonical: e.canonical,
      leafHash: toHex(e.leafHash),
    }));
  }
}

/**
 * Appends one record inside the caller's transaction (the append lock lasts to its end, so the action and its
 * record commit together, in one total order). Several calls in one transaction share the tree reads.
 */
export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<StoredAuditRecord> {
  const [stored] = await appendAuditBatch(db, [entry]);
  return stored as StoredAuditRecord;
}

/** Appends one record in a transaction of its own (for actions that change nothing else). */
export async function appendAuditAlone(pool: Pool, entry: AuditEntry): Promise<StoredAuditRecord> {
  return withTransaction(pool, (c) => appendAudit(c, entry));
}

/** Filter of `listAudit`. */
export interface AuditListFilter {
  /** Records about this subject id (as normalised). */
  subjectId?: string;
  /** Records from this seq on. Default 0. */
  fromSeq?: number;
  /** At most this many records. Default 1000. */
  limit?: number;
}

/**
 * Committed records in seq order, decoded from their canonical text; `leafHash` is the hash stored in the
 * tree at append time (a record changed afterwards no longer hashes to it: see `verifyStoredLog`).
 */
export async function listAudit(db: Queryable, filter: AuditListFilter = {}): Promise<StoredAuditRecord[]> {
  const { rows } = await db.query<{
    seq: number;
    record: string;
    leaf_hash: Buffer | null;
    texts: { field: string; text: string | null; erased_at: string | null }[] | null;
  }>(
    `/* audit:list */ select r.seq, r.record, n.hash as leaf_hash,
       (select json_agg(json_build_object('field', t.field, 'text', t.text, 'erased_at', t.erased_at))
        from audit_texts t where t.seq = r.seq) as texts
     from audit_records r
     left join audit_merkle_nodes n on n.level = 0 and n.idx = r.seq
     where r.seq >= $1
       and ($2::text is null or (r.seq in (select seq from audit_refs where ref = $2)
         and r.record::jsonb #>> '{subject,id}' = $2))
     order by r.seq limit $3`,
    [filter.fromSeq ?? 0, filter.subjectId ?? null, filter.limit ?? 1000],
  );
  const out: StoredAuditRecord[] = [];
  for (const r of rows) {
    const decoded = decodeRecord(r.record);
    out.push({
      ...decoded.record,
      at: decoded.record.time,
      canonical: decoded.canonical,
      leafHash: r.leaf_hash === null ? '' : toHex(r.leaf_hash),
      ...textFields(
        (r.texts ?? []).map((t) => ({
          field: t.field,
          text: t.text,
          erasedAt: t.erased_at === null ? null : new Date(t.erased_at),
        })),
      ),
    });
  }
  return out;
}
