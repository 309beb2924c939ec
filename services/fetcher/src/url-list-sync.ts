import { randomUUID } from 'node:crypto';
import { urlListChangeCodec, type UrlListChange } from '@mod/contracts';
import { toDatabaseError, type Queryable } from '@mod/db';
import { listUrlBanks, listUrlListEntriesPage } from '@mod/db/url-lists';
import { followChanges, topicEndOffsets, type Kafka, type TopicFollower } from '@mod/kafka';
import type { Counter, Gauge, Logger } from '@mod/telemetry';
import { UrlListIndex, type UrlListKind } from '@mod/urls';

/** What a URL-list match needs to become a verdict hit. */
export interface UrlEntryData {
  readonly bankId: string;
  readonly dedicatedToAbuse: boolean;
  readonly category: string | null;
}

export interface UrlBankMeta {
  readonly name: string;
  readonly enabled: boolean;
  readonly negative: boolean;
  readonly actionPolicy: 'automatic' | 'review';
}

/** The fetcher's view of the URL-list banks: an index and bank settings, kept current. */
export interface UrlLists {
  index(): UrlListIndex<UrlEntryData>;
  bank(bankId: string): UrlBankMeta | undefined;
}

export interface UrlListSync extends UrlLists {
  /** Loads every live entry from PostgreSQL (after noting the topic's end offsets), then follows the topic. */
  start(): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
}

export interface UrlListSyncOptions {
  db: Queryable;
  kafka: Kafka;
  topic: string;
  logger: Logger;
  /** Each fetcher reads the whole topic under its own group. */
  groupPrefix: string;
  metrics: { entries: Gauge; applied: Counter<'type'>; invalid: Counter };
}

const PAGE = 20_000;

/**
 * Applies one change to an index and bank table. Idempotent; an invalid pattern is reported, not thrown. A
 * `url-lists-resync` changes nothing here: the caller reloads the index from PostgreSQL.
 */
export function applyUrlListChange(
  index: UrlListIndex<UrlEntryData>,
  banks: Map<string, UrlBankMeta>,
  change: UrlListChange,
): boolean {
  switch (change.type) {
    case 'url-bank-upserted':
      banks.set(change.bankId, {
        name: change.name,
        enabled: change.enabled,
        negative: change.negative,
        actionPolicy: change.actionPolicy,
      });
      return true;
    case 'url-entry-removed':
      index.remove(change.entryId);
      return true;
    case 'url-lists-resync':
      return true; // the sync reloads everything from PostgreSQL (see createUrlListSync)
    case 'url-entry-added':
      return addEntry(index, {
        id: change.entry.entryId,
        kind: change.entry.kind,
        pattern: change.entry.pattern,
        bankId: change.entry.bankId,
        dedicatedToAbuse: change.entry.dedicatedToAbuse,
        category: change.entry.category,
      });
  }
}

function addEntry(
  index: UrlListIndex<UrlEntryData>,
  e: {
    id: string;
    kind: UrlListKind;
    pattern: string;
    bankId: string;
    dedicatedToAbuse: boolean;
    category: string | null;
  },
): boolean {
  try {
    index.add({
      id: e.id,
      kind: e.kind,
      pattern: e.pattern,
      data: { bankId: e.bankId, dedicatedToAbuse: e.dedicatedToAbuse, category: e.category },
    });
    return true;
  } catch {
    return false; // a stored pattern the index refuses (validated at write time; counted by the caller)
  }
}

/**
 * Keeps the fetcher's URL-list index current, like the scanner's bank sync: note the compacted topic's end
 * offsets, load PostgreSQL, then apply every change from those offsets (a change applied twice is harmless).
 */
export function createUrlListSync(options: UrlListSyncOptions): UrlListSync {
  const log = options.logger.child({ component: 'url-list-sync' });
  let index = new UrlListIndex<UrlEntryData>();
  const banks = new Map<string, UrlBankMeta>();
  const offsets = new Map<number, string>();
  let follower: TopicFollower | undefined;
  let isReady = false;
  const groupId = `${options.groupPrefix}-url-lists-${randomUUID()}`;

  async function load(): Promise<void> {
    const fresh = new UrlListIndex<UrlEntryData>();
    for (const b of await listUrlBanks(options.db)) banks.set(b.id, b);
    let after = '0';
    for (;;) {
      const rows = await listUrlListEntriesPage(options.db, after, PAGE);
      for (const r of rows) {
        if (!addEntry(fresh, { ...r, id: r.id })) options.metrics.invalid.inc();
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE) break;
      after = last.id;
    }
    index = fresh;
  }

  return {
    index: () => index,
    bank: (bankId) => banks.get(bankId),
    // Not while the follower cannot follow the topic (it subscribes again): the lists would be stale meanwhile.
    ready: () => isReady && follower?.following() === true,
    async start() {
      for (const [partition, offset] of await topicEndOffsets(options.kafka, options.topic))
        offsets.set(partition, offset);
      await load();
      options.metrics.entries.set(index.size);
      log.info({ entries: index.size, banks: banks.size }, 'URL lists loaded');
      follower = await followChanges({
        kafka: options.kafka,
        topic: options.topic,
        groupId,
        from: offsets,
        logger: log,
        codec: urlListChangeCodec,
        what: 'URL-list change',
        onChange: async (change) => {
          if (change.type === 'url-lists-resync') {
            // A bulk import: its entries are in PostgreSQL, not on the topic. Later messages re-apply harmlessly.
            // A database outage is typed retriable: the follower applies the change again once the database answers.
            await load().catch((err: unknown) => {
              throw toDatabaseError(err, 'reload URL lists');
            });
            log.info(
              { entries: index.size, bankId: change.bankId },
              'URL lists reloaded after a bulk change',
            );
          } else if (!applyUrlListChange(index, banks, change)) options.metrics.invalid.inc();
          options.metrics.applied.inc({ type: change.type });
          options.metrics.entries.set(index.size);
        },
      });
      isReady = true;
    },
    async stop() {
      isReady = false;
      await follower?.stop();
    },
  };
}
