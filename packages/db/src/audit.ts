import { createHash } from 'node:crypto';
import { withTransaction, type Pool, type Queryable } from './pool.js';

/** What an audit record says. Digests and ids only: never personal data or media. */
export interface AuditEntry {
  actor: { kind: 'user' | 'service' | 'policy'; id: string };
  role?: string | null;
  tenantId?: string | null;
  action: string;
  subject: { type: string; id: string };
  reason?: string | null;
  evidence?: Record<string, unknown>;
  versions?: Record<string, string>;
}

export interface StoredAuditRecord extends AuditEntry {
  seq: number;
  at: string;
  recordSha256: string;
  prevSha256: string;
}

/** Deterministic JSON: object keys sorted, no whitespace. The bytes every digest is computed over. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error('non-finite number in audit record');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

const GENESIS = Buffer.alloc(32);
const AUDIT_LOCK = 'mod-audit-append';

function recordBody(seq: number, at: string, e: AuditEntry): Record<string, unknown> {
  return {
    seq,
    at,
    actor: e.actor,
    role: e.role ?? null,
    tenantId: e.tenantId ?? null,
    action: e.action,
    subject: e.subject,
    reason: e.reason ?? null,
    evidence: e.evidence ?? {},
    versions: e.versions ?? {},
  };
}

/**
 * Appends one record inside the caller's transaction (it must be one: the lock lasts to its end). Appends are serialised by an advisory lock held to the end
 * of the transaction, giving one total order; each record's digest chains the previous record's digest.
 */
export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<StoredAuditRecord> {
  await db.query(`/* audit:lock */ select pg_advisory_xact_lock(hashtext($1))`, [AUDIT_LOCK]);
  const last = await db.query<{ seq: number; record_sha256: Buffer }>(
    `/* audit:last */ select seq, record_sha256 from audit_log order by seq desc limit 1`,
  );
  const prev = last.rows[0]?.record_sha256 ?? GENESIS;
  const seqRow = await db.query<{ seq: number; at: Date }>(
    `/* audit:next-seq */ select nextval(pg_get_serial_sequence('audit_log', 'seq'))::int as seq, date_trunc('milliseconds', clock_timestamp()) as at`,
  );
  const seq = seqRow.rows[0]?.seq ?? 0;
  const at = (seqRow.rows[0]?.at ?? new Date()).toISOString();
  const digest = createHash('sha256')
    .update(prev)
    .update(canonicalJson(recordBody(seq, at, entry)))
    .digest();
  await db.query(
    `/* audit:append */ insert into audit_log (seq, at, actor_kind, actor_id, role, tenant_id, action, subject_type,
       subject_id, reason, evidence, versions, record_sha256, prev_sha256)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      seq,
      at,
      entry.actor.kind,
      entry.actor.id,
      entry.role ?? null,
      entry.tenantId ?? null,
      entry.action,
      entry.subject.type,
      entry.subject.id,
      entry.reason ?? null,
      JSON.stringify(entry.evidence ?? {}),
      JSON.stringify(entry.versions ?? {}),
      digest,
      prev,
    ],
  );
  return { ...entry, seq, at, recordSha256: digest.toString('hex'), prevSha256: prev.toString('hex') };
}

export async function listAudit(
  db: Queryable,
  filter: { subjectId?: string; limit?: number } = {},
): Promise<StoredAuditRecord[]> {
  const { rows } = await db.query<{
    seq: number;
    at: Date;
    actor_kind: 'user' | 'service' | 'policy';
    actor_id: string;
    role: string | null;
    tenant_id: string | null;
    action: string;
    subject_type: string;
    subject_id: string;
    reason: string | null;
    evidence: Record<string, unknown>;
    versions: Record<string, string>;
    record_sha256: Buffer;
    prev_sha256: Buffer;
  }>(
    `/* audit:list */ select * from audit_log where ($1::text is null or subject_id = $1) order by seq limit $2`,
    [filter.subjectId ?? null, filter.limit ?? 1000],
  );
  return rows.map((r) => ({
    seq: r.seq,
    at: r.at.toISOString(),
    actor: { kind: r.actor_kind, id: r.actor_id },
    role: r.role,
    tenantId: r.tenant_id,
    action: r.action,
    subject: { type: r.subject_type, id: r.subject_id },
    reason: r.reason,
    evidence: r.evidence,
    versions: r.versions,
    recordSha256: r.record_sha256.toString('hex'),
    prevSha256: r.prev_sha256.toString('hex'),
  }));
}

/** Recomputes the chain; returns the seq of the first record whose digest does not hold, or null. */
export function firstBrokenLink(records: readonly StoredAuditRecord[]): number | null {
  let prev = GENESIS.toString('hex');
  for (const r of records) {
    const digest = createHash('sha256')
      .update(Buffer.from(prev, 'hex'))
      .update(canonicalJson(recordBody(r.seq, r.at, r)))
      .digest('hex');
    if (r.prevSha256 !== prev || r.recordSha256 !== digest) return r.seq;
    prev = r.recordSha256;
  }
  return null;
}

/** Appends one record in a transaction of its own (for actions that change nothing else). */
export async function appendAuditAlone(pool: Pool, entry: AuditEntry): Promise<StoredAuditRecord> {
  return withTransaction(pool, (c) => appendAudit(c, entry));
}
