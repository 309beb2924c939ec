import { randomUUID } from 'node:crypto';
import { chmod, open, readFile, rename, writeFile } from 'node:fs/promises';
import { bankChangeCodec, type BankChangeMessage } from '@mod/contracts';
import { toDatabaseError, type Queryable } from '@mod/db';
import type { Bank } from '@mod/db/banks';
import { getBank, listBanks } from '@mod/db/banks';
import {
  followChanges,
  messageAgeSeconds,
  topicEndOffsets,
  type Kafka,
  type TopicFollower,
} from '@mod/kafka';
import { BankMatcher, type BankConfig } from '@mod/matcher';
import type { Counter, Gauge, Histogram, Logger } from '@mod/telemetry';

/** What a verdict says about a bank beyond what matching needs. */
export interface BankMeta {
  name: string;
  actionPolicy: 'automatic' | 'review';
}

export interface BankSyncMetrics {
  entries: Gauge;
  applied: Counter<'type'>;
  /** Seconds from a change's publication to its application here: how fast a bank change propagates. */
  lag: Histogram;
}

export interface BankSyncOptions {
  db: Queryable;
  kafka: Kafka;
  topic: string;
  logger: Logger;
  metrics: BankSyncMetrics;
  /** Where to keep a snapshot of the index for a fast restart; none when undefined. */
  snapshotPath?: string;
  /** Consumer group prefix; each scanner instance reads the whole topic under its own group. */
  groupPrefix: string;
}

export interface BankSync {
  matcher(): BankMatcher;
  meta(bankId: string): BankMeta | undefined;
  /** Loads the index (snapshot, else PostgreSQL), then follows the bank-changes topic. */
  start(): Promise<void>;
  /** Stops following; writes a snapshot when configured. */
  stop(): Promise<void>;
  ready(): boolean;
  /** Where the index came from at start-up. */
  loadedFrom(): 'snapshot' | 'database' | null;
}

const PAGE = 50_000;
/**
 * 3: the matcher's snapshot format 3 (payload and entry locator as they are in memory: loading is reads only).
 * A header of another version is not read: the scanner loads from PostgreSQL and writes a new snapshot at stop.
 */
const SNAPSHOT_VERSION = 3;

interface SnapshotHeader {
  version: number;
  topic: string;
  offsets: { partition: number; offset: string }[];
  metas: [string, BankMeta][];
}

/**
 * A snapshot holds every bank's hashes (licensed known-abuse lists among them) and names: its files are the
 * scanner's alone (owner read and write), whatever the process's umask, a file left from before included.
 */
const SNAPSHOT_MODE = 0o600;

/**
 * Streams the matcher into a file (an index of 60M PDQ entries is ~5 GB: never one buffer), flushed to disk
 * before the caller renames it into place. The file is owner-only (`SNAPSHOT_MODE`).
 */
export async function writeSnapshotFile(path: string, m: BankMatcher): Promise<void> {
  const file = await open(path, 'w', SNAPSHOT_MODE);
  try {
    await file.chmod(SNAPSHOT_MODE);
    await m.writeSnapshot(async (part) => {
      for (let off = 0; off < part.length; ) {
        const { bytesWritten } = await file.write(part, off, part.length - off);
        off += bytesWritten;
      }
    });
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Reads a snapshot file straight into the matcher's arrays (no whole-file buffer; readFile stops at 2 GiB). */
export async function readSnapshotFile(path: string): Promise<BankMatcher> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    let position = 0;
    const m = await BankMatcher.readSnapshot(async (target) => {
      for (let off = 0; off < target.length; ) {
        const { bytesRead } = await file.read(target, off, target.length - off, position);
        if (bytesRead === 0) throw new Error('snapshot file ends early');
        off += bytesRead;
        position += bytesRead;
      }
    });
    if (position !== size) throw new Error('snapshot file has trailing bytes');
    return m;
  } finally {
    await file.close();
  }
}

/** Whether `id` is in `ids` (ascending). */
function isListed(ids: readonly number[], id: number): boolean {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = ids[mid] as number;
    if (at === id) return true;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function bankConfig(b: Bank): BankConfig {
  return {
    bankId: b.id,
    enabled: b.enabled,
    negative: b.negative,
    thresholds: { pdq: b.pdqThreshold, blockhash: b.blockhashThreshold },
  };
}

/**
 * Keeps the scanner's in-memory index current. A new scanner loads a snapshot (or PostgreSQL) after noting the
 * topic's end offsets, then applies every change from those offsets on: a change committed before the offsets
 * were noted is already in PostgreSQL, and applying a change twice is harmless, so nothing is missed.
 */
export function createBankSync(options: BankSyncOptions): BankSync {
  const log = options.logger.child({ component: 'bank-sync' });
  let matcher = new BankMatcher();
  const metas = new Map<string, BankMeta>();
  const nextOffsets = new Map<number, string>();
  let follower: TopicFollower | undefined;
  let isReady = false;
  let loadedFrom: 'snapshot' | 'database' | null = null;
  const groupId = `${options.groupPrefix}-banks-${randomUUID()}`;

  const refreshGauge = () => {
    const s = matcher.stats().entries;
    options.metrics.entries.set(Object.values(s).reduce((a, b) => a + b, 0));
  };

  /** Adds a bank's live entries (and its settings) to `target`; with `listed`, notes their ids, ascending. */
  async function loadBank(target: BankMatcher, bank: Bank, listed?: number[]): Promise<void> {
    target.applyChange({ type: 'bank-upserted', bank: bankConfig(bank) });
    metas.set(bank.id, { name: bank.name, actionPolicy: bank.actionPolicy });
    let after = 0;
    for (;;) {
      const { rows } = await options.db.query<{
        id: number;
        signal: string;
        value: string;
        quality: number | null;
      }>(
        `/* scanner:load-bank-page */ select id, signal, value, quality from bank_entries
         where bank_id = $1 and removed_at is null and id > $2 order by id limit $3`,
        [bank.id, after, PAGE],
      );
      for (const r of rows) {
        listed?.push(r.id);
        target.applyChange({
          type: 'entry-added',
          entry: {
            entryId: String(r.id),
            bankId: bank.id,
            signal: r.signal as never,
            value: r.value,
            ...(r.quality === null ? {} : { quality: r.quality }),
          },
        });
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]?.id ?? after;
    }
  }

  async function loadFromDatabase(): Promise<void> {
    // Sized up front: a bulk load of millions of entries then never regrows or re-hashes its tables.
    const { rows } = await options.db.query<{ signal: string; n: string }>(
      `/* scanner:count-live-entries */ select signal, count(*) as n from bank_entries where removed_at is null
       group by signal`,
    );
    const capacity: Record<string, number> = {};
    for (const r of rows) capacity[r.signal] = Number(r.n);
    const fresh = new BankMatcher({ capacity });
    for (const bank of await listBanks(options.db)) await loadBank(fresh, bank);
    matcher = fresh;
  }

  async function loadSnapshot(): Promise<boolean> {
    if (options.snapshotPath === undefined) return false;
    try {
      const header = await readFile(`${options.snapshotPath}.json`, 'utf8');
      const h = JSON.parse(header) as SnapshotHeader;
      if (h.version !== SNAPSHOT_VERSION || h.topic !== options.topic) return false;
      matcher = await readSnapshotFile(options.snapshotPath);
      for (const [id, m] of h.metas) metas.set(id, m);
      for (const o of h.offsets) nextOffsets.set(o.partition, o.offset);
      return true;
    } catch (err) {
      log.warn({ err }, 'no usable snapshot; loading banks from PostgreSQL');
      return false;
    }
  }

  async function writeSnapshot(): Promise<void> {
    if (options.snapshotPath === undefined || !isReady) return;
    const header: SnapshotHeader = {
      version: SNAPSHOT_VERSION,
      topic: options.topic,
      offsets: [...nextOffsets].map(([partition, offset]) => ({ partition, offset })),
      metas: [...metas],
    };
    await writeSnapshotFile(`${options.snapshotPath}.tmp`, matcher);
    await writeFile(`${options.snapshotPath}.json.tmp`, JSON.stringify(header), { mode: SNAPSHOT_MODE });
    await chmod(`${options.snapshotPath}.json.tmp`, SNAPSHOT_MODE);
    await rename(`${options.snapshotPath}.tmp`, options.snapshotPath);
    await rename(`${options.snapshotPath}.json.tmp`, `${options.snapshotPath}.json`);
    log.info({ path: options.snapshotPath }, 'bank snapshot written');
  }

  async function apply(change: BankChangeMessage): Promise<void> {
    switch (change.type) {
      case 'bank-upserted':
        matcher.applyChange({ type: 'bank-upserted', bank: change.bank });
        metas.set(change.bank.bankId, change.meta);
        return;
      case 'bank-resync': {
        // A bulk import: reload this bank from PostgreSQL in place. Its listed entries are added (an unchanged one
        // stays as it is), then the others removed: scans meanwhile match the bank whole, never without it (a verdict
        // of no match is final). A database outage is typed retriable: the follower applies the change again.
        try {
          const bank = await getBank(options.db, change.bankId);
          if (bank === null) {
            matcher.applyChange({ type: 'bank-removed', bankId: change.bankId });
            return;
          }
          const listed: number[] = [];
          await loadBank(matcher, bank, listed);
          matcher.retainEntries(bank.id, (entryId) => isListed(listed, Number(entryId)));
        } catch (err) {
          throw toDatabaseError(err, `reload bank ${change.bankId}`);
        }
        return;
      }
      default:
        matcher.applyChange(change);
    }
  }

  return {
    matcher: () => matcher,
    meta: (bankId) => metas.get(bankId),
    // Not while the follower cannot follow the topic (it subscribes again): the banks would be stale meanwhile.
    ready: () => isReady && follower?.following() === true,
    loadedFrom: () => loadedFrom,
    async start() {
      loadedFrom = 'snapshot';
      if (!(await loadSnapshot())) {
        loadedFrom = 'database';
        for (const [partition, offset] of await topicEndOffsets(options.kafka, options.topic))
          nextOffsets.set(partition, offset);
        await loadFromDatabase();
      }
      refreshGauge();
      log.info({ stats: matcher.stats(), offsets: [...nextOffsets], from: loadedFrom }, 'bank index loaded');
      follower = await followChanges({
        kafka: options.kafka,
        topic: options.topic,
        groupId,
        from: nextOffsets,
        logger: log,
        codec: bankChangeCodec,
        what: 'bank change',
        onChange: async (change, record) => {
          await apply(change);
          nextOffsets.set(record.partition, (BigInt(record.offset) + 1n).toString());
          options.metrics.applied.inc({ type: change.type });
          // Bank changes are written by curation (the API), on our clock; a clock ahead of ours counts 0.
          options.metrics.lag.observe(messageAgeSeconds(record.timestamp));
          refreshGauge();
        },
      });
      isReady = true;
    },
    async stop() {
      await follower?.stop();
      await writeSnapshot().catch((err: unknown) => log.warn({ err }, 'could not write the bank snapshot'));
      isReady = false;
    },
  };
}
