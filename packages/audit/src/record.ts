import { canonicalJson, parseCanonicalJson } from './canonical.js';
import { InvalidRecordError } from './errors.js';
import { hashLeaf } from './merkle.js';

/**
 * Who acted: a machine credential (`user`: an API key or client certificate, by id; the name predates staff
 * accounts and stays so that older records keep verifying), a signed-in person (`person`, by opaque person id),
 * a service, or an automatic policy.
 */
export const ActorKind = { USER: 'user', PERSON: 'person', SERVICE: 'service', POLICY: 'policy' } as const;
export type ActorKind = (typeof ActorKind)[keyof typeof ActorKind];

/**
 * One entry of the audit log. Holds ids, digests and versions only: never media, never personal data.
 * `seq` is the record's position in the log and equals its Merkle leaf index (the first record is 0), so
 * the position is bound into the hashed bytes and a record moved elsewhere no longer verifies.
 */
export interface AuditRecord {
  /** Leaf index in the log, 0-based, gap-free. */
  seq: number;
  /** When it happened: ISO-8601 UTC with milliseconds, exactly as `Date.prototype.toISOString` writes it. */
  time: string;
  actor: { kind: ActorKind; id: string };
  /** The actor's role when acting (`authority`, `reviewer`, ...), or null for actors without one. */
  role: string | null;
  tenantId: string | null;
  /** Dotted lowercase verb, e.g. `order.created`, `verdict.overridden`. */
  action: string;
  subject: { type: string; id: string };
  /** Short justification or reason code; at most `RECORD_LIMITS.reasonMaxChars` characters. */
  reason: string | null;
  /** Named digests of the evidence (`{ sha256: "ab12..", pdq: ".." }`), lowercase hex. */
  evidence: Record<string, string>;
  /** Versions of what decided (`{ policy: "7", model: "nsfw-2024-05" }`). */
  versions: Record<string, string>;
  /**
   * The names in `evidence` whose digest is the SHA-256 of an evidence document kept beside the log, ascending;
   * the others were given as they are (a media SHA-256, a PDQ hash) and have none. Inside the hashed bytes, so
   * whoever checks the stored log knows which documents must still be there without trusting a table outside the
   * tree. Absent when no digest has a document, and in records written before the field existed.
   */
  documents?: string[];
  /**
   * Salted SHA-256 commitments (hex) to free text kept beside the log (`audit_texts`, see `texts.ts`), by field;
   * a committed field is null in the record itself, so its text can be erased and the record still verifies.
   * Absent in records written before (legacy: their reason sits in the record and cannot be erased).
   */
  commitments?: Record<string, string>;
}

/** Fields whose free text a record may commit to instead of holding it. */
export const COMMITTED_FIELDS = ['reason'] as const;

/** What a caller supplies; the log assigns `seq` (and `time` when absent). */
export interface AuditRecordDraft {
  time?: string;
  actor: { kind: ActorKind; id: string };
  role?: string | null;
  tenantId?: string | null;
  action: string;
  subject: { type: string; id: string };
  reason?: string | null;
  evidence?: Record<string, string>;
  versions?: Record<string, string>;
  /** Names in `evidence` backed by a document (any order; the record keeps them ascending, none when empty). */
  documents?: readonly string[];
  /** Commitments to free text kept beside the log (the committed fields then null). */
  commitments?: Record<string, string>;
}

/** Bounds that keep free text and media out of the log. */
export const RECORD_LIMITS = {
  idMaxChars: 128,
  reasonMaxChars: 280,
  digestMinHexChars: 16,
  digestMaxHexChars: 128,
  maxEvidenceDigests: 16,
  maxVersions: 16,
  versionMaxChars: 64,
} as const;

const RECORD_KEYS = [
  'action',
  'actor',
  'evidence',
  'reason',
  'role',
  'seq',
  'subject',
  'tenantId',
  'time',
  'versions',
] as const;
/** Fields a record may lack: added after records without them were signed into logs that must keep verifying. */
const OPTIONAL_RECORD_KEYS = ['documents', 'commitments'] as const;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Opaque ids only: no whitespace, no '@' (keeps e-mail addresses, i.e. personal data, out).
const OPAQUE_ID = new RegExp(`^[A-Za-z0-9._:/+=-]{1,${RECORD_LIMITS.idMaxChars}}$`);
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;
const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const SUBJECT_TYPE = /^[a-z][a-z0-9_]{0,31}$/;
const NAME = /^[a-z][a-zA-Z0-9_.-]{0,31}$/;
const HEX = /^(?:[0-9a-f]{2})+$/;
const VERSION = new RegExp(`^[A-Za-z0-9._:+/-]{1,${RECORD_LIMITS.versionMaxChars}}$`);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkKeys(
  obj: Record<string, unknown>,
  required: readonly string[],
  path: string,
  problems: string[],
  optional: readonly string[] = [],
): void {
  for (const key of Object.keys(obj))
    if (!required.includes(key) && !optional.includes(key)) problems.push(`${path}.${key}: unknown field`);
  for (const key of required) if (!(key in obj)) problems.push(`${path}.${key}: missing`);
}

function checkString(v: unknown, re: RegExp, path: string, what: string, problems: string[]): void {
  if (typeof v !== 'string' || !re.test(v)) problems.push(`${path}: must be ${what}`);
}

function checkNamedMap(
  v: unknown,
  path: string,
  max: number,
  value: RegExp,
  what: string,
  problems: string[],
  extra?: (s: string) => string | null,
): void {
  if (!isPlainObject(v)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  const entries = Object.entries(v);
  if (entries.length > max) problems.push(`${path}: at most ${max} entries`);
  for (const [name, val] of entries) {
    if (!NAME.test(name)) problems.push(`${path}.${name}: name must match ${NAME.source}`);
    if (typeof val !== 'string' || !value.test(val)) {
      problems.push(`${path}.${name}: must be ${what}`);
      continue;
    }
    const more = extra?.(val);
    if (more !== null && more !== undefined) problems.push(`${path}.${name}: ${more}`);
  }
}

/**
 * Checks that `value` is a complete, well-formed `AuditRecord` and returns it typed. Lists every problem in
 * one `InvalidRecordError` (MOD_ERR_AUDIT_INVALID_RECORD). Unknown fields are refused, so nothing beyond the
 * schema (media, personal data) can ride along.
 */
export function validateRecord(value: unknown): AuditRecord {
  const problems: string[] = [];
  if (!isPlainObject(value)) throw new InvalidRecordError(['record must be an object']);
  checkKeys(value, RECORD_KEYS, '$', problems, OPTIONAL_RECORD_KEYS);
  const r = value;
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 0) {
    problems.push('$.seq: must be an integer >= 0');
  }
  if (typeof r.time !== 'string' || !ISO_UTC_MS.test(r.time) || !isRealInstant(r.time)) {
    problems.push('$.time: must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)');
  }
  if (isPlainObject(r.actor)) {
    checkKeys(r.actor, ['id', 'kind'], '$.actor', problems);
    if (!Object.values<unknown>(ActorKind).includes(r.actor.kind)) {
      problems.push(`$.actor.kind: must be one of ${Object.values(ActorKind).join(', ')}`);
    }
    checkString(r.actor.id, OPAQUE_ID, '$.actor.id', 'an opaque id', problems);
  } else problems.push('$.actor: must be an object');
  if (r.role !== null) checkString(r.role, ROLE, '$.role', 'null or a lowercase role name', problems);
  if (r.tenantId !== null) checkString(r.tenantId, OPAQUE_ID, '$.tenantId', 'null or an opaque id', problems);
  checkString(r.action, ACTION, '$.action', 'a dotted lowercase action such as order.created', problems);
  if (isPlainObject(r.subject)) {
    checkKeys(r.subject, ['id', 'type'], '$.subject', problems);
    checkString(r.subject.type, SUBJECT_TYPE, '$.subject.type', 'a lowercase type name', problems);
    checkString(r.subject.id, OPAQUE_ID, '$.subject.id', 'an opaque id', problems);
  } else problems.push('$.subject: must be an object');
  if (r.reason !== null) {
    if (typeof r.reason !== 'string') problems.push('$.reason: must be null or a string');
    else if (r.reason.length === 0 || r.reason.length > RECORD_LIMITS.reasonMaxChars) {
      problems.push(`$.reason: must be 1..${RECORD_LIMITS.reasonMaxChars} characters`);
    } else if (CONTROL.test(r.reason)) problems.push('$.reason: must not contain control characters');
  }
  checkNamedMap(
    r.evidence,
    '$.evidence',
    RECORD_LIMITS.maxEvidenceDigests,
    HEX,
    'lowercase hex',
    problems,
    (s) =>
      s.length < RECORD_LIMITS.digestMinHexChars || s.length > RECORD_LIMITS.digestMaxHexChars
        ? `digest must be ${RECORD_LIMITS.digestMinHexChars}..${RECORD_LIMITS.digestMaxHexChars} hex characters`
        : null,
  );
  checkNamedMap(
    r.versions,
    '$.versions',
    RECORD_LIMITS.maxVersions,
    VERSION,
    'a short version string',
    problems,
  );
  if ('documents' in r) checkDocuments(r.documents, r.evidence, problems);
  if ('commitments' in r) checkCommitments(r.commitments, r, problems);
  if (problems.length > 0) throw new InvalidRecordError(problems);
  return value as unknown as AuditRecord;
}

/** `documents`: a non-empty list of names `evidence` has, each once and ascending (one byte form per record). */
function checkDocuments(documents: unknown, evidence: unknown, problems: string[]): void {
  if (!Array.isArray(documents) || documents.length === 0) {
    problems.push('$.documents: must be a non-empty array of evidence names (absent when none)');
    return;
  }
  const names = isPlainObject(evidence) ? evidence : {};
  let previous: string | null = null;
  for (const [i, name] of documents.entries()) {
    if (typeof name !== 'string' || !Object.hasOwn(names, name)) {
      problems.push(`$.documents[${i}]: must name an entry of $.evidence`);
      continue;
    }
    if (previous !== null && !(previous < name))
      problems.push(`$.documents[${i}]: names must be ascending, once each`);
    previous = name;
  }
}

/** `commitments`: a non-empty map of committed fields to 64-hex SHA-256, each such field null in the record. */
function checkCommitments(commitments: unknown, r: Record<string, unknown>, problems: string[]): void {
  if (!isPlainObject(commitments) || Object.keys(commitments).length === 0) {
    problems.push('$.commitments: must be a non-empty object (absent when none)');
    return;
  }
  for (const [field, value] of Object.entries(commitments)) {
    if (!(COMMITTED_FIELDS as readonly string[]).includes(field))
      problems.push(`$.commitments.${field}: not a field that can be committed`);
    else if (r[field] !== null) problems.push(`$.${field}: must be null when committed`);
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value))
      problems.push(`$.commitments.${field}: must be a SHA-256 in lowercase hex`);
  }
}

function isRealInstant(iso: string): boolean {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso;
}

/** Completes a draft into a validated record at position `seq`; `now` supplies the time when the draft has none. */
export function buildRecord(
  draft: AuditRecordDraft,
  seq: number,
  now: () => Date = () => new Date(),
): AuditRecord {
  return validateRecord({
    seq,
    time: draft.time ?? now().toISOString(),
    actor: { kind: draft.actor.kind, id: draft.actor.id },
    role: draft.role ?? null,
    tenantId: draft.tenantId ?? null,
    action: draft.action,
    subject: { type: draft.subject.type, id: draft.subject.id },
    reason: draft.reason ?? null,
    evidence: { ...draft.evidence },
    versions: { ...draft.versions },
    ...(draft.documents !== undefined && draft.documents.length > 0
      ? { documents: [...new Set(draft.documents)].sort() }
      : {}),
    ...(draft.commitments !== undefined && Object.keys(draft.commitments).length > 0
      ? { commitments: { ...draft.commitments } }
      : {}),
  });
}

/** A record with the exact bytes that were hashed into the log. */
export interface EncodedRecord {
  record: AuditRecord;
  /** Canonical JSON text of the record (see `canonicalJson`); its UTF-8 bytes are the Merkle leaf input. */
  canonical: string;
  /** SHA-256(0x00 || UTF-8(canonical)). */
  leafHash: Buffer;
}

/** Validates and encodes a record: canonical text and RFC 9162 leaf hash. */
export function encodeRecord(record: AuditRecord): EncodedRecord {
  const valid = validateRecord(record);
  const canonical = canonicalJson(valid);
  return { record: valid, canonical, leafHash: hashLeaf(Buffer.from(canonical, 'utf8')) };
}

/**
 * Decodes a record from its canonical text. Throws MOD_ERR_AUDIT_NOT_CANONICAL if the text is not canonical
 * JSON, MOD_ERR_AUDIT_INVALID_RECORD if it is not a valid record.
 */
export function decodeRecord(canonical: string): EncodedRecord {
  const record = validateRecord(parseCanonicalJson(canonical));
  return { record, canonical, leafHash: hashLeaf(Buffer.from(canonical, 'utf8')) };
}
