import {
  createMerkleTree,
  isTreeHeadDue,
  loadPublicKey,
  publicKeySpkiBase64,
  signTreeHead,
  signingKeyFromEnv,
  toHex,
} from '@mod/audit';
import type { PublicKeyInfo, SignedTreeHead, SigningKey, TreeHeadSchedule } from '@mod/audit';
import { latestTreeHead } from './audit-proofs.js';
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
  now?: () => Date;
}

/**
 * Signs and stores a tree head when one is due (`isTreeHeadDue`: N new records or T ms since the last head),
 * registers the signing key's public half, and enqueues the head for the tree-heads topic, all in one
 * transaction. Signers in several processes skip each other (try-lock). Returns the new head, or null.
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
    const last = await latestTreeHead(c);
    const at = now();
    const due = isTreeHeadDue(
      last === null ? null : { treeSize: last.treeSize, signedAtMs: Date.parse(last.timestamp) },
      { treeSize: size, nowMs: at.getTime() },
      options.force === true ? { everyRecords: 1, everyMs: 0 } : options.schedule,
    );
    if (!due) return null;
    const head = signTreeHead(
      { treeSize: size, rootHash: toHex(await tree.root(size)), timestamp: at.toISOString() },
      options.key,
    );
    await registerAuditPublicKeys(c, [options.key]);
    await c.query(
      `/* audit:store-head */ insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature)
       values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [head.treeSize, Buffer.from(head.rootHash, 'hex'), at, head.keyId, head.signature],
    );
    if (options.topic !== null) await enqueueOutbox(c, options.topic, head.keyId, head);
    return head;
  });
}

/** Where the signer reports; a pino logger fits. */
export interface SignerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
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

  const tick = async (force = false): Promise<SignedTreeHead | null> => {
    const head = await signTreeHeadIfDue(options.pool, { ...options, force });
    if (head !== null) {
      options.logger.info(
        { treeSize: head.treeSize, rootHash: head.rootHash, keyId: head.keyId },
        'audit tree head signed',
      );
    }
    return head;
  };
  const loop = (): void => {
    running = tick()
      .catch((err: unknown) => options.logger.warn({ err }, 'audit tree head signing failed; will retry'))
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
