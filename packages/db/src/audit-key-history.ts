import { BUNDLE_FORMAT, loadPublicKey, signBundleScope, verifyTreeHead } from '@mod/audit';
import type {
  BundleEntry,
  BundleScope,
  KeyValidity,
  LogAuditBundle,
  PublicKeyInfo,
  SignedTreeHead,
  SigningKey,
} from '@mod/audit';
import { auditLogId, auditPublicKeys } from './audit-heads.js';
import type { Queryable } from './pool.js';

/** Rows read per query while looking for a key's first or last head of this log. */
const ROWS_PER_PAGE = 50;

/** The size of `key`'s smallest (`asc`) or largest (`desc`) head of this log, or null when it signed none. */
async function edgeSize(
  db: Queryable,
  key: PublicKeyInfo,
  logId: string,
  order: 'asc' | 'desc',
): Promise<number | null> {
  for (let offset = 0; ; offset += ROWS_PER_PAGE) {
    const { rows } = await db.query<{
      tree_size: number;
      root_hash: Buffer;
      signed_at: Date;
      signature: string;
      log_id: string | null;
    }>(
      `/* audit:key-edge */ select tree_size, root_hash, signed_at, signature, log_id from audit_tree_heads
       where key_id = $1 order by tree_size ${order === 'asc' ? 'asc' : 'desc'} limit $2 offset $3`,
      [key.keyId, ROWS_PER_PAGE, offset],
    );
    for (const r of rows) {
      if (r.log_id !== null && r.log_id !== logId) continue;
      const head = {
        treeSize: r.tree_size,
        rootHash: r.root_hash.toString('hex'),
        timestamp: r.signed_at.toISOString(),
        ...(r.log_id === null ? {} : { logId: r.log_id }),
        keyId: key.keyId,
        signature: r.signature,
      };
      if (verifyTreeHead(head, [key]).ok) return r.tree_size;
    }
    if (rows.length < ROWS_PER_PAGE) return null;
  }
}

/**
 * The log's key history: each trusted key (`AuditKeys.trusted`) that signed heads of this log, with the smallest
 * and largest size it signed (only rows its signature verifies and that name this log or none count; the
 * application role may insert others), the signing key's range left open (`toSize` null). An export signs it
 * with its scope (`mod.audit.bundle.v3`), so a verifier that trusts the current key takes a head a rotated-out
 * key signed at an old size, and no head that key signs past the sizes listed: no `--key` for the old key.
 */
export async function auditKeyHistory(
  db: Queryable,
  trusted: readonly PublicKeyInfo[],
  signingKeyId: string,
): Promise<KeyValidity[]> {
  const logId = await auditLogId(db);
  const history: KeyValidity[] = [];
  for (const key of trusted) {
    const fromSize = await edgeSize(db, key, logId, 'asc');
    if (fromSize === null) continue;
    const toSize = key.keyId === signingKeyId ? null : await edgeSize(db, key, logId, 'desc');
    history.push({ keyId: key.keyId, fromSize, toSize });
  }
  return history.sort((a, b) => a.fromSize - b.fromSize || a.keyId.localeCompare(b.keyId));
}

/** The keys the database lists (anyone's word: `keyHandovers` takes only those a trusted key took over from). */
export async function listedKeys(db: Queryable): Promise<PublicKeyInfo[]> {
  const keys: PublicKeyInfo[] = [];
  for (const k of await auditPublicKeys(db)) {
    try {
      keys.push(loadPublicKey(k.spki));
    } catch {
      // A row that is no key names no head's key: its heads stay unknown.
    }
  }
  return keys;
}

/** What `signLogBundle` signs: a scope and its entries proven against `head`, with the log's keys. */
export interface LogBundleParts {
  scope: BundleScope;
  head: SignedTreeHead;
  entries: BundleEntry[];
  /** Signs the scope, the log id and the key history. */
  signingKey: SigningKey;
  /** Keys whose heads are the log's (`AuditKeys.trusted`): the key history lists those that signed heads of it. */
  trusted: readonly PublicKeyInfo[];
  signedAt: Date;
}

/**
 * A `mod.audit.bundle.v3` of `entries`: the log's id and key history (`auditKeyHistory`) are signed with the scope,
 * bound to the head, so a head an older key signed (an old size after a rotation) verifies with the signing key
 * alone, and the bundle says which log it is of. Exports are these; so is the key history of a consistency proof.
 */
export async function signLogBundle(db: Queryable, p: LogBundleParts): Promise<LogAuditBundle> {
  const binding = {
    logId: await auditLogId(db),
    keyHistory: await auditKeyHistory(db, p.trusted, p.signingKey.keyId),
  };
  return {
    format: BUNDLE_FORMAT,
    logId: binding.logId,
    keyHistory: binding.keyHistory,
    scope: p.scope,
    scopeSignature: signBundleScope(p.scope, p.head, p.signingKey, p.signedAt, binding),
    treeHead: p.head,
    publicKeys: await auditPublicKeys(db),
    entries: p.entries,
  };
}

/** The label of the scope of the record-less bundle that carries a key history (it claims no record). */
export const KEY_HISTORY_LABEL = 'key-history';

/**
 * The log's key history as a record-less `mod.audit.bundle.v3` bound to `head` (scope `KEY_HISTORY_LABEL`), signed by
 * `signingKey`: what a verifier holding only the current key checks a rotated-out key's head with (`historyHandovers`
 * of `@mod/audit`), the same structure and code as an export's.
 */
export async function keyHistoryBundle(
  db: Queryable,
  head: SignedTreeHead,
  keys: { signingKey: SigningKey; trusted: readonly PublicKeyInfo[]; signedAt: Date },
): Promise<LogAuditBundle> {
  const scope: BundleScope = { kind: 'records', seqs: [], label: KEY_HISTORY_LABEL };
  return signLogBundle(db, { scope, head, entries: [], ...keys });
}
