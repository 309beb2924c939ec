import {
  AuditError,
  AuditErrorCode,
  createMerkleTree,
  isTreeHeadDue,
  loadPublicKey,
  publicKeySpkiBase64,
  signTreeHead,
  signingKeyFromEnv,
  toHex,
} from '@mod/audit';
import type { MerkleTree, PublicKeyInfo, SignedTreeHead, SigningKey, TreeHeadSchedule } from '@mod/audit';
import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import { auditLogId, latestTreeHead, treeHeadsAt } from './audit-heads.js';
import { createPgMerkleStore } from './audit-store.js';
import { enqueueOutbox } from './outbox.js';
import { withTransaction, type Pool, type Queryable } from './pool.js';

/** The log's keys: the signing key (null when none is configured) and every public key a verifier may trust. */
export interface AuditKeys {
  signing: SigningKey | null;
  /** The signing key's public half first, then older keys still trusted (rotation). */
  trusted: PublicKeyInfo[];
}

/**
 * Loads the audit keys from configuration: `signingKeyPem` (Ed25519 PKCS#8 PEM, `\n` escapes allowed; empty
 * means no signing) and `trustedPublicKeysPem` (zero or more SPKI PEM blocks, concatenated: older keys kept
 * trusted after a rotation). Throws MOD_ERR_AUDIT_KEY_INVALID for a key that does not load.
 */
export function loadAuditKeys(config: { signingKeyPem?: string; trustedPublicKeysPem?: string }): AuditKeys {
  const pem = config.signingKeyPem ?? '';
  const signing = pem.trim() === '' ? null : signingKeyFromEnv({ key: pem }, 'key');
  const blocks =
    (config.trustedPublicKeysPem ?? '')
      .replace(/\\n/g, '\n')
      .match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  const trusted: PublicKeyInfo[] = signing === null ? [] : [signing];
  for (const block of blocks) {
    const key = loadPublicKey(block);
    if (!trusted.some((k) => k.keyId === key.keyId)) trusted.push(key);
  }
  return { signing, trusted };
}

/**
 * Records public keys (the signing key's and older trusted ones) so bundles can carry every key that signed
 * a head, including heads signed before a rotation. Idempotent.
 */
export async function registerAuditPublicKeys(db: Queryable, keys: readonly PublicKeyInfo[]): Promise<void> {
  if (keys.length === 0) return;
  await db.query(
    `/* audit:register-keys */ insert into audit_signing_keys (key_id, spki)
     select * from unnest($1::text[], $2::text[]) on conflict (key_id) do nothing`,
    [keys.map((k) => k.keyId), keys.map((k) => publicKeySpkiBase64(k.publicKey))],
  );
}

/** Options of `signTreeHeadIfDue`. */
export interface SignTreeHeadOptions {
  key: SigningKey;
  schedule: TreeHeadSchedule;
  /** Topic to announce the head on (through the outbox, in the head's transaction); null: store only. */
  topic: string | null;
  /** Sign even if the schedule says it is not due (still only when the tree grew). */
  force?: boolean;
  /**
   * A head this signer signed before, kept outside the database (the signer loop keeps its last one): the tree
   * must extend it too, so deleting the newer heads' rows does not hide a cut-back or rewritten log from it.
   */
  previous?: SignedTreeHead | null;
  /**
   * Keys whose stored heads the log must extend: the signing key and older ones still trusted (`AuditKeys.trusted`).
   * Default: the signing key. A stored head none of them signed is no head of this log (the application role may
   * insert rows) and is left aside, or one forged far beyond the tree would stop the signer for ever.
   */
  trusted?: readonly PublicKeyInfo[];
  now?: () => Date;
}

/**
 * Throws MOD_ERR_AUDIT_LOG_INCONSISTENT unless the stored tree of `size` leaves extends `head`: at least as
 * large, and its first `head.treeSize` leaves still fold to the signed root. The database's owner can delete
 * records and nodes, set the size back and append other records (the triggers do not bind the owner); a head
 * signed over that would be a second history under the log's key, which no verifier could tell from the first.
 */
async function requireExtends(tree: MerkleTree, size: number, head: SignedTreeHead): Promise<void> {
  const refuse = (why: string) =>
    new AuditLogError(
      AuditLogErrorCode.INCONSISTENT,
      `the stored audit tree ${why} the head signed at size ${head.treeSize}: no head is signed until the log is restored`,
    );
  if (size < head.treeSize) throw refuse(`holds ${size} records, fewer than`);
  let root: string;
  try {
    root = toHex(await tree.root(head.treeSize));
  } catch (err) {
    if (err instanceof AuditError && err.code === AuditErrorCode.STORE_MISSING_NODE)
      throw refuse('lacks nodes of');
    throw err;
  }
  if (root !== head.rootHash) throw refuse('was rewritten below');
}

/**
 * Signs and stores a tree head when one is due (`isTreeHeadDue`: N new records or T ms since the last head; or
 * the latest head is another key's and this key has not signed its size: a rotation), registers the signing key's
 * public half, and enqueues the head for the tree-heads topic, all in one transaction. Signers in several processes
 * skip each other (try-lock). Returns the new head, or null.
 * Signs only a tree that extends the latest stored head a `trusted` key signed and `previous` (else
 * MOD_ERR_AUDIT_LOG_INCONSISTENT).
 */
export async function signTreeHeadIfDue(
  pool: Pool,
  options: SignTreeHeadOptions,
): Promise<SignedTreeHead | null> {
  const now = options.now ?? (() => new Date());
  return withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ locked: boolean }>(
      `/* audit:sign-lock */ select pg_try_advisory_xact_lock(hashtext('mod-audit-sign:' || current_schema())) as locked`,
    );
    if (rows[0]?.locked !== true) return null;
    const tree = createMerkleTree(createPgMerkleStore(c));
    const size = await tree.size();
    const trusted = options.trusted ?? [options.key];
    const last = await latestTreeHead(c, trusted);
    // Checked before the schedule: a log cut back below its last head is never merely "not due".
    for (const signed of [last, options.previous ?? null]) {
      if (signed !== null) await requireExtends(tree, size, signed);
    }
    const at = now();
    // Right after a rotation the latest head is the old key's, and exports sign their scope with the new key: a
    // verifier without keys of its own takes only a scope signed by the head's key, so the new key signs the
    // current size at once, grown or not, and exports prove against that head (`exportAuditBundle`).
    const rotated =
      last !== null &&
      last.keyId !== options.key.keyId &&
      (await treeHeadsAt(c, trusted, [size], options.key.keyId)).get(size)?.keyId !== options.key.keyId;
    const due =
      rotated ||
      isTreeHeadDue(
        last === null ? null : { treeSize: last.treeSize, signedAtMs: Date.parse(last.timestamp) },
        { treeSize: size, nowMs: at.getTime() },
        options.force === true ? { everyRecords: 1, everyMs: 0 } : options.schedule,
      );
    if (!due) return null;
    // The records are stamped by the database's clock, the head by this process's: a clock behind would sign a
    // head older than records it holds, or than the head it extends (another API's clock ahead), each saying the
    // log was smaller at a later time. The head's time is never before either.
    const { rows: newest } = await c.query<{ at: Date | null }>(
      `/* audit:newest-record-time */ select max(recorded_at) as at from audit_records where seq = $1`,
      [size - 1],
    );
    const signedAt = new Date(
      Math.max(at.getTime(), newest[0]?.at?.getTime() ?? 0, last === null ? 0 : Date.parse(last.timestamp)),
    );
    // The log's id is inside the signed bytes (mod.audit.tree-head.v2): the head is this log's and no other's.
    const head = signTreeHead(
      {
        treeSize: size,
        rootHash: toHex(await tree.root(size)),
        timestamp: signedAt.toISOString(),
        logId: await auditLogId(c),
      },
      options.key,
    );
    await registerAuditPublicKeys(c, [options.key]);
    const stored = await c.query(
      `/* audit:store-head */ insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature, log_id)
       values ($1, $2, $3, $4, $5, $6) on conflict do nothing returning tree_size`,
      [head.treeSize, Buffer.from(head.rootHash, 'hex'), signedAt, head.keyId, head.signature, head.logId],
    );
    // The latest trusted head is smaller, so a row of this size and key is none this key signed: announcing the
    // head anyway would leave that row as the log's head of this size for every proof and export.
    if (stored.rowCount !== 1)
      throw new AuditLogError(
        AuditLogErrorCode.INCONSISTENT,
        `a row no trusted key signed holds the place of the head of size ${head.treeSize} by key ${head.keyId}: not signed; the next size will be`,
      );
    if (options.topic !== null) await enqueueOutbox(c, options.topic, head.keyId, head);
    return head;
  });
}

/** Where the signer reports; a pino logger fits. */
export interface SignerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of `createTreeHeadSigner`. */
export interface TreeHeadSignerOptions extends SignTreeHeadOptions {
  pool: Pool;
  logger: SignerLogger;
  /** How often to check whether a head is due, ms. Default min(schedule.everyMs, 1000). */
  pollMs?: number;
}

/** A background loop that signs tree heads on schedule. */
export interface TreeHeadSigner {
  start(): void;
  /** Stops the loop after the running check; signs a final head if records arrived since the last one. */
  stop(): Promise<void>;
  /** One check now (tests, shutdown). */
  tick(): Promise<SignedTreeHead | null>;
}

/** Builds the signer loop (started by the api service when a signing key is configured). */
export function createTreeHeadSigner(options: TreeHeadSignerOptions): TreeHeadSigner {
  const pollMs = options.pollMs ?? Math.max(10, Math.min(options.schedule.everyMs, 1000));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  let started = false;
  /** The last head this process signed: the log must keep extending it, whatever the database says since. */
  let previous: SignedTreeHead | null = options.previous ?? null;

  const tick = async (force = false): Promise<SignedTreeHead | null> => {
    const head = await signTreeHeadIfDue(options.pool, { ...options, force, previous });
    if (head !== null) {
      previous = head;
      options.logger.info(
        { treeSize: head.treeSize, rootHash: head.rootHash, keyId: head.keyId },
        'audit tree head signed',
      );
    }
    return head;
  };
  const loop = (): void => {
    running = tick()
      .catch((err: unknown) =>
        err instanceof AuditLogError && err.code === AuditLogErrorCode.INCONSISTENT
          ? options.logger.error({ err }, 'audit log changed behind its signed heads: not signing')
          : options.logger.warn({ err }, 'audit tree head signing failed; will retry'),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, pollMs);
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      started = true;
      options.logger.info(
        { keyId: options.key.keyId, ...options.schedule },
        'audit tree head signer started',
      );
      loop();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
      if (!started) return;
      started = false;
      await tick(true).catch((err: unknown) =>
        options.logger.warn({ err }, 'final audit tree head not signed'),
      );
    },
    tick: () => tick(),
  };
}
