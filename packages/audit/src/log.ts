import { createBundle } from './bundle.js';
import type { AuditBundle, BundleScope } from './bundle-format.js';
import { AuditError, AuditErrorCode } from './errors.js';
import { toHex } from './merkle.js';
import { buildRecord, encodeRecord } from './record.js';
import type { AuditRecordDraft, EncodedRecord } from './record.js';
import { signTreeHead } from './sth.js';
import type { PublicKeyInfo, SignedTreeHead, SigningKey } from './sth.js';
import { createMemoryMerkleStore } from './store.js';
import type { MerkleStore } from './store.js';
import { createMerkleTree } from './tree.js';
import type { MerkleTree } from './tree.js';

/**
 * Pure step of an append: turns drafts into validated, canonical, leaf-hashed records at seqs
 * `firstSeq`, `firstSeq + 1`, ... (`firstSeq` = the tree size, read under the appender's lock).
 */
export function prepareRecords(
  drafts: readonly AuditRecordDraft[],
  firstSeq: number,
  now: () => Date = () => new Date(),
): EncodedRecord[] {
  return drafts.map((draft, i) => encodeRecord(buildRecord(draft, firstSeq + i, now)));
}

/** Options of `createMemoryAuditLog`. */
export interface MemoryAuditLogOptions {
  /** Tree storage (default: a fresh `createMemoryMerkleStore()`). */
  store?: MerkleStore;
  /** Clock for record times and tree heads (default: system time). */
  now?: () => Date;
}

/**
 * A whole audit log in memory: records, Merkle tree, tree heads and exports. The reference wiring of the
 * pure parts, used by tests, the benchmark and `modctl`; the service's log does the same over Postgres.
 */
export interface MemoryAuditLog {
  readonly tree: MerkleTree;
  /** Appends drafts as one batch; returns them with seq, time, canonical bytes and leaf hash. */
  append(drafts: readonly AuditRecordDraft[]): Promise<EncodedRecord[]>;
  /** Stored records with seq in [fromSeq, toSeq]. */
  records(fromSeq: number, toSeq: number): EncodedRecord[];
  /** Signs the current tree head. */
  signHead(key: SigningKey): Promise<SignedTreeHead>;
  /**
   * Export bundle of seqs [fromSeq, toSeq] proven against `head`, its scope signed with `signingKey` (without
   * one: a legacy bundle whose scope is unsigned, see `verifyBundle`).
   */
  exportRange(
    fromSeq: number,
    toSeq: number,
    head: SignedTreeHead,
    keys: readonly PublicKeyInfo[],
    signingKey?: SigningKey,
  ): Promise<AuditBundle>;
}

/** Builds a `MemoryAuditLog`. */
export function createMemoryAuditLog(options: MemoryAuditLogOptions = {}): MemoryAuditLog {
  const now = options.now ?? (() => new Date());
  const tree = createMerkleTree(options.store ?? createMemoryMerkleStore());
  const stored: EncodedRecord[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  const append = async (drafts: readonly AuditRecordDraft[]): Promise<EncodedRecord[]> => {
    const size = await tree.size();
    if (size !== stored.length) {
      throw new AuditError(AuditErrorCode.STORE_CONFLICT, 'tree and records disagree on size', {
        retriable: true,
      });
    }
    const encoded = prepareRecords(drafts, size, now);
    await tree.appendLeafHashes(encoded.map((e) => e.leafHash));
    stored.push(...encoded);
    return encoded;
  };

  const records = (fromSeq: number, toSeq: number): EncodedRecord[] => stored.slice(fromSeq, toSeq + 1);

  return {
    tree,
    append(drafts) {
      const run = queue.then(() => append(drafts));
      queue = run.catch(() => undefined);
      return run;
    },
    records,
    async signHead(key) {
      const treeSize = await tree.size();
      const root = await tree.root(treeSize);
      return signTreeHead({ treeSize, rootHash: toHex(root), timestamp: now().toISOString() }, key);
    },
    exportRange(fromSeq, toSeq, head, keys, signingKey) {
      const scope: BundleScope = { kind: 'range', fromSeq, toSeq };
      return createBundle({
        scope,
        records: records(fromSeq, toSeq),
        tree,
        treeHead: head,
        publicKeys: keys,
        now,
        ...(signingKey === undefined ? {} : { signingKey }),
      });
    },
  };
}
