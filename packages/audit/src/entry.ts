import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import { RECORD_LIMITS, type AuditRecord, type AuditRecordDraft } from './record.js';
import { commitText, newTextSalt } from './texts.js';

/**
 * What callers hand to an audit log (`appendAudit` of `@mod/db/audit`): ids, digests and small evidence values
 * (never personal data or media). Looser than the strict record (`record.ts`): its draft without `time` (the
 * log stamps it), whose evidence may be any value; `toAuditDraft` normalises it deterministically, so every store
 * turns the same entry into the same record.
 */
export interface AuditEntry extends Omit<AuditRecordDraft, 'time' | 'evidence'> {
  /**
   * Evidence by name. A lowercase hex digest (16..128 hex characters) is kept as is; any other value is
   * stored as a canonical JSON document in `audit_evidence` and the record carries its SHA-256.
   */
  evidence?: Record<string, unknown>;
}

/** An evidence value moved out of the record: its canonical JSON text and that text's SHA-256 (hex). */
export interface EvidenceDocument {
  name: string;
  document: string;
  digest: string;
}

/** A strict record draft, the documents behind its evidence digests, and the ids it refers to. */
export interface NormalisedEntry {
  draft: AuditRecordDraft;
  documents: EvidenceDocument[];
  /** Subject id, evidence digests and the short strings inside evidence documents (for case exports). */
  refs: string[];
  /** Free text kept beside the log (`audit_texts`), erasable: the record holds only its salted commitment. */
  texts: CommittedText[];
}

/** A field's whole text and the salt (hex) of its commitment in the record. */
export interface CommittedText {
  field: 'reason';
  text: string;
  salt: string;
}

const OPAQUE_ID_CHAR = /[^A-Za-z0-9._:/+=-]/g;
const HEX_DIGEST = /^(?:[0-9a-f]{2})+$/;
const NAME = /^[a-z][a-zA-Z0-9_.-]{0,31}$/;
const VERSION_CHAR = /[^A-Za-z0-9._:+/-]/g;
/** Half of a surrogate pair, which has no UTF-8 form (canonical JSON refuses it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Longest string inside an evidence document that is indexed as a reference. */
const REF_MAX_CHARS = 128;

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * An opaque id the strict format accepts: every refused character becomes `_` (so `POST /v1/media` becomes
 * `POST_/v1/media` and an e-mail address loses its `@`); longer than 128 characters: a prefix plus a digest
 * of the whole; empty: `unknown`.
 */
export function normaliseId(id: string): string {
  if (id === '') return 'unknown';
  const safe = id.replace(OPAQUE_ID_CHAR, '_');
  if (safe.length <= RECORD_LIMITS.idMaxChars) return safe;
  return `${safe.slice(0, RECORD_LIMITS.idMaxChars - 33)}.${sha256Hex(id).slice(0, 32)}`;
}

function slug(value: string, allowed: RegExp, maxChars: number, prefix: string): string {
  let s = value.toLowerCase().replace(allowed, '_');
  if (!/^[a-z]/.test(s)) s = `${prefix}${s}`;
  return s.slice(0, maxChars);
}

/** `bank.settings-changed` becomes `bank.settings_changed`; a single word `x` becomes `x.done`. */
export function normaliseAction(action: string): string {
  const parts = action
    .split('.')
    .filter((p) => p !== '')
    .map((p) => slug(p, /[^a-z0-9_]/g, 64, 'x'));
  if (parts.length === 0) return 'unknown.done';
  if (parts.length === 1) parts.push('done');
  return parts.join('.');
}

/** C0 controls, DEL and C1 controls (ESC, CR, LF, CSI…): each becomes a space in a committed text. */
// eslint-disable-next-line no-control-regex
const COMMITTED_CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): dropped from a committed text. */
const BIDI_FORMATTING = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * A reason as kept beside the log, whole (no cut), and the very text its commitment covers: every C0 and C1
 * control (U+0000, which PostgreSQL text holds none of, an ESC that drives a terminal, a CR or LF that forges a
 * line of a report) becomes a space, bidi embeddings, overrides and isolates (RLO and the like, which reorder what
 * a reader sees) are dropped, half of a surrogate pair becomes U+FFFD (no UTF-8 form); blank becomes null. Every
 * writer of the log (the API, modctl, services) goes through here; texts kept before are verified as they are.
 */
export function committableText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const s = text
    .replace(COMMITTED_CONTROL, ' ')
    .replace(BIDI_FORMATTING, '')
    .replace(LONE_SURROGATE, '\ufffd');
  return s.trim() === '' ? null : s;
}

/**
 * A JSON value with a canonical form: `undefined` members dropped, Dates as ISO strings, bigints as decimal
 * strings, byte arrays as the SHA-256 of their bytes (media never enters the log), non-finite numbers as
 * strings, functions and symbols as null.
 */
export function toJsonValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return { sha256: createHash('sha256').update(value).digest('hex') };
  if (depth >= 12) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toJsonValue(v, depth + 1)));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined && typeof v !== 'function' && typeof v !== 'symbol')
        out[k] = toJsonValue(v, depth + 1);
    }
    return out;
  }
  return null; // undefined, functions and symbols have no JSON form
}

function isDigest(v: unknown): v is string {
  return (
    typeof v === 'string' &&
    v.length >= RECORD_LIMITS.digestMinHexChars &&
    v.length <= RECORD_LIMITS.digestMaxHexChars &&
    HEX_DIGEST.test(v)
  );
}

function uniqueName(raw: string, taken: Set<string>): string {
  let base = raw.replace(/[^a-zA-Z0-9_.-]/g, '_');
  if (!/^[a-z]/.test(base))
    base = /^[A-Z]/.test(base) ? base.charAt(0).toLowerCase() + base.slice(1) : `e${base}`;
  base = base.slice(0, 29);
  let name = base;
  for (let i = 2; taken.has(name) || !NAME.test(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/**
 * The short strings of an evidence value, each a reference a case export finds the record by. A string holding U+0000
 * is none: PostgreSQL text holds no NUL, and such a string (a Kafka key a partner chose, in a replayed dead letter's
 * evidence) failed the append, so the action it records could not happen. Its document keeps it, escaped.
 */
function collectStrings(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    if (value !== '' && value.length <= REF_MAX_CHARS && !value.includes('\u0000')) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) collectStrings(v, out);
  }
}

/**
 * Turns a caller's `AuditEntry` into a strict `@mod/audit` draft, deterministically: ids, action, role,
 * subject type, version strings and evidence names are rewritten into the accepted alphabets, `reason` is kept
 * whole beside the log (`texts`), the record holding only its salted commitment (`saltOf` gives the salt;
 * deterministic given it), and every evidence value
 * that is not already a lowercase hex digest becomes a document (canonical JSON) whose SHA-256 the record
 * carries. Beyond 16 evidence names, the rest are folded into one document named `more`. Never throws for any
 * JSON-like input.
 */
export function toAuditDraft(entry: AuditEntry, saltOf: () => string = newTextSalt): NormalisedEntry {
  const documents: EvidenceDocument[] = [];
  const refs = new Set<string>();
  const evidence: Record<string, string> = {};
  const taken = new Set<string>();
  const entries = Object.entries(entry.evidence ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const room = RECORD_LIMITS.maxEvidenceDigests;
  const direct = entries.slice(0, room - (entries.length > room ? 1 : 0));
  const rest = entries.slice(direct.length);
  const items: [string, unknown][] = [...direct];
  if (rest.length > 0) items.push(['more', Object.fromEntries(rest)]);
  for (const [rawName, raw] of items) {
    const name = uniqueName(rawName, taken);
    if (isDigest(raw)) {
      evidence[name] = raw;
      refs.add(raw);
      continue;
    }
    const value = toJsonValue(raw);
    const document = canonicalJson(value);
    const digest = sha256Hex(document);
    evidence[name] = digest;
    documents.push({ name, document, digest });
    collectStrings(value, refs);
  }
  const versions: Record<string, string> = {};
  const versionNames = new Set<string>();
  for (const [rawName, raw] of Object.entries(entry.versions ?? {}).slice(0, RECORD_LIMITS.maxVersions)) {
    const v = String(raw).replace(VERSION_CHAR, '_').slice(0, RECORD_LIMITS.versionMaxChars);
    versions[uniqueName(rawName, versionNames)] = v === '' ? 'unknown' : v;
  }
  const subjectId = normaliseId(entry.subject.id);
  refs.add(subjectId);
  const role = entry.role ?? null;
  const draft: AuditRecordDraft = {
    actor: {
      kind: ['user', 'person', 'service', 'policy'].includes(entry.actor.kind) ? entry.actor.kind : 'service',
      id: normaliseId(entry.actor.id),
    },
    role: role === null || role === '' ? null : slug(role, /[^a-z0-9_-]/g, 32, 'r'),
    tenantId: entry.tenantId === null || entry.tenantId === undefined ? null : normaliseId(entry.tenantId),
    action: normaliseAction(entry.action),
    subject: { type: slug(entry.subject.type, /[^a-z0-9_]/g, 32, 't'), id: subjectId },
    reason: null,
    evidence,
    versions,
    ...(documents.length > 0 ? { documents: documents.map((d) => d.name) } : {}),
  };
  const texts: CommittedText[] = [];
  const reason = committableText(entry.reason);
  if (reason !== null) {
    const salt = saltOf();
    texts.push({ field: 'reason', text: reason, salt });
    draft.commitments = { reason: commitText('reason', salt, reason) };
  }
  return { draft, documents, refs: [...refs], texts };
}

/**
 * The refs `toAuditDraft` gave a record (the ids a case export finds it by), found again from the stored record
 * and the documents it still has (`documents`: evidence name to canonical JSON text): its subject id, the digests
 * it names as given as they are, and every short string of its documents. Of a record written before `documents`
 * existed, whose record does not tell a document's digest from one given as it is, only the subject id; documents
 * gone from the store are left out (their own check reports them).
 */
export function auditRefsOf(record: AuditRecord, documents: ReadonlyMap<string, string>): string[] {
  const refs = new Set<string>([record.subject.id]);
  const named = record.documents;
  if (named === undefined) return [...refs];
  for (const [name, digest] of Object.entries(record.evidence)) {
    const document = documents.get(name);
    if (!named.includes(name)) refs.add(digest);
    else if (document !== undefined) collectStrings(JSON.parse(document), refs);
  }
  return [...refs];
}
