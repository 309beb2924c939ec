import { banksStamp, listBanks, listLiveEntries, type Queryable } from '@mod/db';
import type { Logger } from '@mod/telemetry';
import { buildBankIndex, type BankIndex } from './bank-index.js';

export interface BankLoader {
  current(): BankIndex;
  /** Loads now; resolves once an index is in place. */
  load(): Promise<void>;
  /** Polls for changes every intervalMs until stop(). */
  start(intervalMs: number): void;
  stop(): void;
  loaded(): boolean;
}

/** Keeps the scanner's bank index current: reloads whenever a bank or entry changes in Postgres. */
export function createBankLoader(
  db: Queryable,
  logger: Logger,
  onLoad?: (index: BankIndex) => void,
): BankLoader {
  let index: BankIndex = buildBankIndex([], []);
  let stamp: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let isLoaded = false;

  async function reloadIfChanged(): Promise<void> {
    const next = await banksStamp(db);
    if (next === stamp) return;
    const [banks, entries] = await Promise.all([listBanks(db), listLiveEntries(db)]);
    index = buildBankIndex(banks, entries);
    stamp = next;
    isLoaded = true;
    onLoad?.(index);
    logger.info({ banks: banks.length, entries: index.entryCount }, 'bank index loaded');
  }

  return {
    current: () => index,
    loaded: () => isLoaded,
    load: reloadIfChanged,
    start(intervalMs) {
      const tick = () => {
        reloadIfChanged()
          .catch((err: unknown) => logger.warn({ err }, 'bank reload failed; keeping the current index'))
          .finally(() => {
            if (timer !== undefined) timer = setTimeout(tick, intervalMs);
          });
      };
      timer = setTimeout(tick, intervalMs);
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
