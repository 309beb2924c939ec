/**
 * Verifies an audit export bundle (`GET /v1/audit/export`, format `mod.audit.bundle.v3`, or v2) in the browser, with
 * WebCrypto only, trusting nothing the server says about the result: every hash and signature is recomputed here.
 *
 * - leaf hash = SHA-256(0x00 ‖ record bytes), node hash = SHA-256(0x01 ‖ left ‖ right) (RFC 9162 2.1.1);
 * - each record's inclusion proof must lead to the signed root (RFC 9162 2.1.3.2);
 * - the tree head's Ed25519 signature covers the canonical JSON of
 *   `{"format":"mod.audit.tree-head.v2","keyId","logId","rootHash","timestamp","treeSize"}` (a legacy head, which
 *   names no log: `{"format":"mod.audit.tree-head.v1",...}` without `logId`);
 * - the key id is the first 16 bytes of SHA-256 over the key's SPKI DER, so the key shown is the key that signed;
 * - the scope signature binds which records the bundle claims to hold to that tree head
 *   (`mod.audit.bundle-scope.v1`), and the records present must be exactly those promised; in a v3 bundle
 *   (`mod.audit.bundle-scope.v2`) it also covers the log id and the key history: the head is signed by the
 *   scope's key, or by an older key the history lists for the head's size (an old size after a rotation).
 *
 * What the server could still do is sign with a key of its own: the result names the key id (the scope's), and the person
 * compares it with the one the authority published (the explorer can pin it in this browser).
 */
import type { AuditBundle } from '../api/types.js';
import { textsMatch } from './texts.js';

export const TREE_HEAD_FORMAT = 'mod.audit.tree-head.v1';
export const TREE_HEAD_FORMAT_V2 = 'mod.audit.tree-head.v2';
export const BUNDLE_SCOPE_FORMAT = 'mod.audit.bundle-scope.v1';
export const BUNDLE_SCOPE_FORMAT_V2 = 'mod.audit.bundle-scope.v2';

const encoder = new TextEncoder();

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> | null {
  try {
    const text = atob(b64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    // atob accepts some non-canonical input; re-encoding catches anything that is not exactly base64.
    return btoa(text) === b64 ? out : null;
  } catch {
    return null;
  }
}

const sha256 = async (input: Uint8Array<ArrayBuffer>): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', input));

/** A leaf's hash, SHA-256(0x00 ‖ record), as @mod/audit's `hashLeaf` (a new array is zeros: 0x00 is in place). */
export function leafHashOf(record: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(1 + record.length);
  input.set(record, 1);
  return sha256(input);
}

/** A node's hash, SHA-256(0x01 ‖ left ‖ right), of two 32-byte hashes, as @mod/audit's `hashChildren`. */
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1, ...left, ...right));

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null when the proof cannot fit (index, size). */
export async function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      // Right-shift both until fn's lowest bit is set (or fn is 0): the levels where this node is a left child.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** Canonical JSON (keys sorted by UTF-16 code units, no whitespace): the bytes a signature covers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite number');
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new Error(`${typeof value} has no canonical form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

async function importEd25519(spki: Uint8Array<ArrayBuffer>): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.importKey('spki', spki, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
}

async function verifyEd25519(key: CryptoKey, signatureB64: string, text: string): Promise<boolean> {
  const signature = base64ToBytes(signatureB64);
  if (signature?.length !== 64) return false;
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, encoder.encode(text));
  } catch {
    return false;
  }
}

/** What the browser found, check by check. */
export interface EntryCheck {
  leafIndex: number;
  /** The record as parsed (null: not JSON). */
  record: Record<string, unknown> | null;
  /** SHA-256(0x00 ‖ record) equals the leaf hash given. */
  leafHashOk: boolean;
  /** The record is in the canonical form (exactly one byte form per record). */
  canonicalOk: boolean;
  /** The record's seq is its leaf index (a record moved elsewhere no longer verifies). */
  positionOk: boolean;
  /** The inclusion proof leads from the leaf to the signed root. */
  proofOk: boolean;
  /** The free text beside the record (`texts`) matches its commitments; erased text is accepted. */
  textsOk: boolean;
  /** The texts the bundle carries beside the record, as given (see `shownText`). */
  texts: unknown;
}

export interface BundleCheck {
  /** The key to compare with the published one: the scope's signer (the tree head's in a v2 bundle). */
  keyId: string;
  /** The log the bundle is of (signed), or null when it names none (a v2 bundle of a legacy head). */
  logId: string | null;
  /** The keys the bundle names hash to their ids (SHA-256 of SPKI DER, first 16 bytes). */
  keyIdOk: boolean;
  /**
   * The tree head's Ed25519 signature verifies under its key, which is the scope's or one the signed key history
   * lists for the head's size, and the head names the bundle's log (or none).
   */
  treeHeadOk: boolean;
  /** The scope's signature verifies, bound to the tree head. */
  scopeOk: boolean;
  /** The records present are exactly those the signed scope promises, in order. */
  completeOk: boolean;
  entries: EntryCheck[];
  /** Every check above passed. */
  ok: boolean;
}

/**
 * The seqs a scope promises, or null when it cannot be the `present` records'. A range is listed only if it
 * is as long as the records present: the scope is part of what is being verified, and a forged one of billions of
 * records, listed whole, hung the tab or ran it out of memory before any verdict.
 */
function promisedSeqs(scope: AuditBundle['scope'], present: number): number[] | null {
  if (scope.kind === 'records') return [...scope.seqs];
  const { fromSeq, toSeq } = scope;
  if (!Number.isSafeInteger(fromSeq) || !Number.isSafeInteger(toSeq) || toSeq - fromSeq + 1 !== present)
    return null;
  const out: number[] = [];
  for (let s = fromSeq; s <= toSeq; s++) out.push(s);
  return out;
}

/**
 * Verifies a bundle as described above; never throws on bad input (a bad part is a failed check). A bundle not
 * in the export format at all (a part missing or of another kind: the types say what the API promises, not what
 * arrived) fails every check, with no records, rather than throwing: a throw reached the page as a network error,
 * "try again", where the answer is "not verified".
 */
export async function verifyBundle(bundle: AuditBundle): Promise<BundleCheck> {
  try {
    return await checkBundle(bundle);
  } catch {
    const keyId: unknown = (bundle as { treeHead?: { keyId?: unknown } | null } | null)?.treeHead?.keyId;
    return {
      keyId: typeof keyId === 'string' ? keyId : '',
      logId: null,
      keyIdOk: false,
      treeHeadOk: false,
      scopeOk: false,
      completeOk: false,
      entries: [],
      ok: false,
    };
  }
}

/** The bundle's public key of `keyId`, if its SPKI hashes to that id. */
async function bundleKey(bundle: AuditBundle, keyId: string): Promise<CryptoKey | null> {
  const published = bundle.publicKeys.find((k) => k.keyId === keyId);
  const spki = published === undefined ? null : base64ToBytes(published.spki);
  if (spki === null || bytesToHex((await sha256(spki)).subarray(0, 16)) !== keyId) return null;
  return importEd25519(spki);
}

async function checkBundle(bundle: AuditBundle): Promise<BundleCheck> {
  const head = bundle.treeHead;
  const v3 = bundle.format === 'mod.audit.bundle.v3';
  // The anchor is the scope's signer (v3) or the head's (v2); a v3 head may be an older key's the history lists.
  const scopeKeyId = v3 ? bundle.scopeSignature.keyId : head.keyId;
  const key = await bundleKey(bundle, scopeKeyId);
  const headKey = head.keyId === scopeKeyId ? key : await bundleKey(bundle, head.keyId);
  const keyIdOk = key !== null && headKey !== null;
  const listed = v3 ? bundle.keyHistory.find((k) => k.keyId === head.keyId) : undefined;
  const inRange =
    listed === undefined
      ? head.keyId === scopeKeyId
      : head.treeSize >= listed.fromSize && head.treeSize <= (listed.toSize ?? Infinity);
  const logId = v3 ? bundle.logId : (head.logId ?? null);
  const treeHeadOk =
    headKey !== null &&
    inRange &&
    (head.logId === undefined || head.logId === logId) &&
    (await verifyEd25519(
      headKey,
      head.signature,
      canonicalJson({
        format: head.logId === undefined ? TREE_HEAD_FORMAT : TREE_HEAD_FORMAT_V2,
        keyId: head.keyId,
        logId: head.logId,
        rootHash: head.rootHash,
        timestamp: head.timestamp,
        treeSize: head.treeSize,
      }),
    ));
  const scopeOk =
    key !== null &&
    bundle.scopeSignature.keyId === scopeKeyId &&
    (await verifyEd25519(
      key,
      bundle.scopeSignature.signature,
      canonicalJson({
        format: v3 ? BUNDLE_SCOPE_FORMAT_V2 : BUNDLE_SCOPE_FORMAT,
        keyHistory: v3 ? bundle.keyHistory : undefined,
        keyId: scopeKeyId,
        logId: v3 ? bundle.logId : undefined,
        rootHash: head.rootHash,
        scope: bundle.scope,
        signedAt: bundle.scopeSignature.signedAt,
        treeSize: head.treeSize,
      }),
    ));
  const root = hexToBytes(head.rootHash);
  const entries: EntryCheck[] = [];
  for (const e of bundle.entries) {
    const bytes = encoder.encode(e.record);
    let record: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(e.record);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        record = parsed as Record<string, unknown>;
    } catch {
      record = null;
    }
    const leaf = await leafHashOf(bytes);
    const given = hexToBytes(e.leafHash);
    const proof = e.inclusionProof.map(hexToBytes).filter((p) => p !== null);
    const computedRoot =
      proof.length === e.inclusionProof.length
        ? await rootFromInclusionProof(e.leafIndex, head.treeSize, leaf, proof)
        : null;
    entries.push({
      leafIndex: e.leafIndex,
      record,
      leafHashOk: given !== null && sameBytes(leaf, given),
      canonicalOk: record !== null && canonicalJson(record) === e.record,
      positionOk: record?.['seq'] === e.leafIndex,
      proofOk: computedRoot !== null && root !== null && sameBytes(computedRoot, root),
      textsOk: await textsMatch(record, e.texts),
      texts: e.texts,
    });
  }
  const promised = promisedSeqs(bundle.scope, entries.length);
  const completeOk =
    promised !== null &&
    promised.length === entries.length &&
    promised.every((seq, i) => entries[i]?.leafIndex === seq);
  const ok =
    keyIdOk &&
    treeHeadOk &&
    scopeOk &&
    completeOk &&
    entries.every((e) => e.leafHashOk && e.canonicalOk && e.positionOk && e.proofOk && e.textsOk);
  return { keyId: scopeKeyId, logId, keyIdOk, treeHeadOk, scopeOk, completeOk, entries, ok };
}
