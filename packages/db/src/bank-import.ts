import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import type { SignalType } from '@mod/contracts';
import { FORMULA_CELL_PATTERN } from '@mod/contracts/spreadsheet-cells';
import type { Pool, PoolClient } from './pool.js';
import { setLocalStatementTimeout, withTransaction } from './pool.js';
import { withRolledBackTransaction } from './dry-run.js';
import { DuplicateCandidates } from './bank-import-duplicates.js';
import type { BankEntryInput } from './banks.js';
import { copyTextField } from './copy-text.js';

const { from: copyFrom, to: copyTo } = copyStreams;

/** An entry of an imported list; without a `provenance` of its own it takes the import's. */
export interface StagedEntry extends BankEntryInput {
  /**
   * The entry's line in its list, for duplicates to be reported by line (`onDuplicate`). Default: its position
   * among the entries, from 1.
   */
  lineNumber?: number;
}

export interface ImportOptions {
  bankId: string;
  /** replace: the list is the whole bank (entries not in it are soft-removed); append: only add. */
  mode: 'replace' | 'append';
  /** Topic the bank changes go to, through the outbox. */
  changesTopic: string;
  /** Above this many changed entries one `bank-resync` message replaces per-entry messages. Default 10000. */
  bulkThreshold?: number;
  /** Provenance of the entries that name none. */
  provenance?: string | null;
  /**
   * Called for each entry with the signal and value of an earlier one (the duplicate is left out), with both
   * line numbers, in line order, once the whole list is staged and before `beforeApply`.
   */
  onDuplicate?: (lineNumber: number, firstLineNumber: number) => void;
  /**
   * Size of the in-memory filter that picks the lines the database checks for duplicates (DuplicateCandidates).
   * Default 128 MiB; 0: the database checks every line.
   */
  duplicateFilterBytes?: number;
  /** Runs after the list is staged and before anything changes; throwing rolls the whole import back. */
  beforeApply?: () => void;
  /**
   * Runs in the import's transaction after the changes, before the commit (to audit them: the import and its
   * record commit together); throwing rolls the whole import back.
   */
  afterApply?: (c: PoolClient, diff: ImportDiff) => Promise<void>;
  /**
   * Preview: the import runs to its end (same statements, same counts) and is rolled back, `afterApply` not
   * called; nothing changes. Default false.
   */
  dryRun?: boolean;
}

export interface ImportDiff {
  added: number;
  removed: number;
  unchanged: number;
  /** Whether scanners were told to reload the bank instead of receiving per-entry changes. */
  resync: boolean;
}

interface StagingCounts {
  /** Entries staged. */
  n: number;
  /** Entries the filter found may repeat an earlier one. */
  candidates: number;
  signals: Set<SignalType>;
}

/**
 * Each batch of entries as one block of COPY text rows (one string per batch: few, large writes), each with its
 * line number and whether it may repeat an earlier entry.
 */
async function* copyBlocks(
  batches: AsyncIterable<readonly StagedEntry[]>,
  counts: StagingCounts,
  filter: DuplicateCandidates,
): AsyncGenerator<string> {
  let candidates = new Uint8Array(1024);
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    const signals = batch.map((e) => e.signal);
    const values = batch.map((e) => e.value.toLowerCase());
    if (candidates.length < batch.length) candidates = new Uint8Array(batch.length);
    counts.candidates += filter.testAndAddAll(signals, values, candidates);
    let block = '';
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i] as StagedEntry;
      counts.n++;
      counts.signals.add(e.signal);
      block +=
        copyTextField(e.signal) +
        '\t' +
        copyTextField(values[i]) +
        '\t' +
        copyTextField(e.quality) +
        '\t' +
        copyTextField(e.category) +
        '\t' +
        copyTextField(e.provenance) +
        '\t' +
        copyTextField(e.note) +
        '\t' +
        String(e.lineNumber ?? counts.n) +
        (candidates[i] === 1 ? '\tt\n' : '\tf\n');
    }
    yield block;
  }
}

/**
 * Imports a validated list into a bank in ONE transaction: streams it with COPY into a temporary table (bounded
 * memory whatever the size), finds the entries that repeat an earlier one's signal and value there (reported by
 * line through `onDuplicate`, then left out), then adds what is new, soft-removes what is gone (replace mode),
 * and enqueues the bank changes in the outbox so every scanner applies them. Idempotent: importing the same list
 * again changes nothing. `entries` comes in batches (one COPY write each).
 *
 * What others see: nothing of the import until it commits, then all of it. `bank_entries` keeps its indexes all
 * along (dropping and rebuilding them would lock every reader of every bank out for the whole import), so the
 * time goes to inserting the new rows in the live-entry index's order, one set-based statement per signal.
 */
export async function importBankEntries(
  pool: Pool,
  entries: AsyncIterable<readonly StagedEntry[]>,
  options: ImportOptions,
): Promise<ImportDiff> {
  const threshold = options.bulkThreshold ?? 10_000;
  const transaction = options.dryRun === true ? withRolledBackTransaction : withTransaction;
  const diff = await transaction(pool, async (c) => {
    await c.query(`select pg_advisory_xact_lock(hashtext('mod-bank-import:' || $1))`, [options.bankId]);
    // value collates as "C", as bank_entries.value does: equal hex sorts and compares byte by byte, and a sort on
    // value compares the first bytes as one number (abbreviated keys). line: where the entry is in the list;
    // candidate: whether it may repeat an earlier entry (DuplicateCandidates; false means surely not).
    await c.query(
      `/* curator:stage */ create temp table bank_stage (signal text not null, value text collate "C" not null, quality int, category text, provenance text, note text,
         line bigint not null, candidate boolean not null) on commit drop`,
    );
    // Sorts and hash joins over the staged list get memory rather than many small temporary files. A lost commit
    // is harmless here (the import is idempotent: run it again), so the transaction does not wait for the flush.
    await c.query(`set local work_mem = '256MB'`);
    await c.query(`set local synchronous_commit = off`);
    // Plans here run once over millions of rows: compiling them (JIT) costs more than it saves.
    await c.query(`set local jit = off`);
    // A list of millions of lines takes minutes, not the pool's default statement timeout.
    await setLocalStatementTimeout(c, 30 * 60_000);
    const staged: StagingCounts = { n: 0, candidates: 0, signals: new Set() };
    await pipeline(
      Readable.from(copyBlocks(entries, staged, new DuplicateCandidates(options.duplicateFilterBytes))),
      c.query(
        copyFrom(
          'copy bank_stage (signal, value, quality, category, provenance, note, line, candidate) from stdin',
        ),
      ),
    );
    await c.query(`analyze bank_stage`);
    const duplicates = staged.candidates > 0 ? await dropDuplicates(c, options.onDuplicate) : 0;
    options.beforeApply?.();
    // The list's distinct entries.
    const listed = staged.n - duplicates;
    const before = await c.query<{ n: string }>(
      `/* curator:import-live-count */ select count(*) as n from bank_entries where bank_id = $1 and removed_at is null`,
      [options.bankId],
    );
    const liveBefore = Number(before.rows[0]?.n ?? 0);
    // More entries listed than were live, by more than the threshold: at least that many are added, so scanners
    // will reload the bank and the ids of the changes need not be kept.
    const surelyResync = listed - liveBefore > threshold;
    await c.query(`create temp table import_added (id bigint) on commit drop`);
    await c.query(`create temp table import_removed (id bigint) on commit drop`);
    // Removal first: it then looks only at the entries that were live before, not at those this import adds.
    let removed = 0;
    if (options.mode === 'replace' && liveBefore > 0) {
      const r = await c.query(
        `/* curator:import-remove */ with gone as (
           update bank_entries e set removed_at = now()
           where e.bank_id = $1 and e.removed_at is null
             and not exists (select 1 from bank_stage s where s.signal = e.signal and s.value = e.value)
           returning id)
         insert into import_removed select id from gone`,
        [options.bankId],
      );
      removed = r.rowCount ?? 0;
    }
    // One insert per signal, in the order of the live-entry index (bank, signal, value): each new index entry
    // lands next to the previous one instead of on a random page of an index larger than the buffer cache.
    // A bank with no live entry (this transaction holds the bank's import lock) needs no look-up of each one.
    // The ids of new entries are kept only when scanners may get them one by one.
    const insert = `insert into bank_entries (bank_id, signal, value, quality, category, provenance, note)
      select $1::uuid, s.signal, s.value, s.quality, s.category, coalesce(s.provenance, $3), s.note
      from bank_stage s
      where s.signal = $2${
        liveBefore === 0
          ? ''
          : `
        and not exists (select 1 from bank_entries e where e.bank_id = $1 and e.removed_at is null
                        and e.signal = $2 and e.value = s.value)`
      }
      order by s.value`;
    const addSql = surelyResync
      ? `/* curator:import-add */ ${insert}`
      : `/* curator:import-add-tracked */ with ins as (${insert} returning id) insert into import_added select id from ins`;
    let addedCount = 0;
    for (const signal of [...staged.signals].sort()) {
      addedCount +=
        (await c.query(addSql, [options.bankId, signal, options.provenance ?? null])).rowCount ?? 0;
    }
    const changed = addedCount + removed;
    const resync = surelyResync || changed > threshold;
    if (changed > 0) {
      await c.query(
        `/* curator:touch-bank */ update banks set updated_at = clock_timestamp() where id = $1`,
        [options.bankId],
      );
      if (resync) await enqueueResync(c, options.bankId, options.changesTopic);
      else await enqueueStagedChanges(c, options.bankId, options.changesTopic);
    }
    const diff = { added: addedCount, removed, unchanged: listed - addedCount, resync };
    if (options.dryRun !== true) await options.afterApply?.(c, diff);
    return diff;
  });
  if (options.dryRun !== true) await analyzeIfGrown(pool, diff.added);
  return diff;
}

/**
 * Finds the staged entries that repeat an earlier one's signal and value, reports each with the line of the
 * first (in line order, streamed: any number of them in bounded memory), and removes them from the stage.
 * Only the pairs of candidate lines are looked at: a hash of those pairs against one scan of the stage, instead
 * of a sort of all of it. Returns how many there were.
 */
async function dropDuplicates(
  c: PoolClient,
  onDuplicate: ((lineNumber: number, firstLineNumber: number) => void) | undefined,
): Promise<number> {
  const found = await c.query(
    `/* curator:import-duplicates */ create temp table import_duplicates on commit drop as
     select line, first_line from (
       select s.line, min(s.line) over (partition by s.value, s.signal) as first_line
       from bank_stage s
       where (s.value, s.signal) in (select value, signal from bank_stage where candidate)) d
     where line <> first_line`,
  );
  const n = found.rowCount ?? 0;
  if (n === 0) return 0;
  let rest = '';
  const report = (text: string): void => {
    const tab = text.indexOf('\t');
    onDuplicate?.(Number(text.slice(0, tab)), Number(text.slice(tab + 1)));
  };
  for await (const chunk of c.query(
    copyTo(`copy (select line, first_line from import_duplicates order by line) to stdout`),
  ) as AsyncIterable<Buffer>) {
    const text = rest + chunk.toString('latin1');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) report(line);
  }
  if (rest !== '') report(rest);
  // Counted, the repeats are hashed (not the stage: 2.7x slower at 10M lines).
  await c.query(`analyze import_duplicates`);
  await c.query(
    `/* curator:import-drop-duplicates */ delete from bank_stage s using import_duplicates d where s.line = d.line`,
  );
  return n;
}

/**
 * Refreshes the statistics of `bank_entries` at once after an import that added more than a tenth of the rows
 * the planner believes it holds (as autovacuum would, but only within a minute or so). Until then the planner
 * takes a freshly filled table for nearly empty and joins the next import's list against it with nested loops:
 * re-importing an unchanged list of 20,000 entries right after its first import took 25 s instead of 1 s, a
 * time that grows with the square of the list. ANALYZE reads a fixed-size sample, whatever the table's size.
 */
async function analyzeIfGrown(pool: Pool, added: number): Promise<void> {
  if (added === 0) return;
  const { rows } = await pool.query<{ reltuples: number }>(
    `/* curator:import-planner-rows */ select reltuples from pg_class where oid = 'bank_entries'::regclass`,
  );
  // -1: never analysed.
  const believed = rows[0]?.reltuples ?? -1;
  if (believed < 0 || added > believed / 10)
    await pool.query(`/* curator:import-analyze */ analyze bank_entries`);
}

async function enqueueResync(c: PoolClient, bankId: string, topic: string): Promise<void> {
  await c.query(`/* curator:enqueue-resync */ insert into outbox (topic, key, payload) values ($1, $2, $3)`, [
    topic,
    `bank:${bankId}`,
    JSON.stringify({ type: 'bank-resync', bankId }),
  ]);
}

/** The changes an import recorded in its temporary tables, as outbox rows. */
async function enqueueStagedChanges(c: PoolClient, bankId: string, topic: string): Promise<void> {
  const added = await c.query<{ id: number }>(`select id from import_added order by id`);
  const removed = await c.query<{ id: number }>(`select id from import_removed order by id`);
  await enqueueEntryChanges(
    c,
    bankId,
    added.rows.map((r) => r.id),
    removed.rows.map((r) => r.id),
    topic,
  );
}

/** Entry changes as outbox rows, built in SQL (no round trip per entry). */
export async function enqueueEntryChanges(
  c: PoolClient,
  bankId: string,
  addedIds: readonly number[],
  removedIds: readonly number[],
  topic: string,
): Promise<void> {
  if (addedIds.length > 0) {
    await c.query(
      `/* curator:enqueue-added */ insert into outbox (topic, key, payload)
       select $1, 'entry:' || e.bank_id || ':' || e.id,
         jsonb_build_object('type', 'entry-added', 'entry', jsonb_strip_nulls(jsonb_build_object(
           'entryId', e.id::text, 'bankId', e.bank_id::text, 'signal', e.signal, 'value', e.value, 'quality', e.quality)))
       from bank_entries e where e.id = any($2) order by e.id`,
      [topic, addedIds],
    );
  }
  if (removedIds.length > 0) {
    await c.query(
      `/* curator:enqueue-removed */ insert into outbox (topic, key, payload)
       select $1, 'entry:' || $3 || ':' || r.id,
         jsonb_build_object('type', 'entry-removed', 'bankId', $3::text, 'entryId', r.id::text)
       from unnest($2::bigint[]) as r(id) order by r.id`,
      [topic, removedIds, bankId],
    );
  }
}

/** Enqueues the bank's settings for every scanner (after create or update). */
export async function enqueueBankUpserted(c: PoolClient, bankId: string, topic: string): Promise<void> {
  await c.query(
    `/* curator:enqueue-bank */ insert into outbox (topic, key, payload)
     select $1, 'bank:' || b.id, jsonb_build_object('type', 'bank-upserted',
       'bank', jsonb_build_object('bankId', b.id::text, 'enabled', b.enabled, 'negative', b.negative,
         'thresholds', jsonb_build_object('pdq', b.pdq_threshold, 'blockhash', b.blockhash_threshold)),
       'meta', jsonb_build_object('name', b.name, 'actionPolicy', b.action_policy))
     from banks b where b.id = $2`,
    [topic, bankId],
  );
}

export type ExportFormat = 'csv' | 'tsv' | 'jsonl';

/**
 * `column`, defused for spreadsheets as `defuseFormulaCell` of `@mod/contracts` does it (one rule, written in SQL
 * because COPY writes the file): a leading quote when the text would start a formula.
 */
function defusedColumn(column: 'category' | 'note'): string {
  const pattern = FORMULA_CELL_PATTERN.replaceAll('\\', '\\\\').replaceAll("'", "''");
  return `case when ${column} ~ E'${pattern}' then '''' || ${column} else ${column} end as ${column}`;
}

/**
 * Streams a bank's live entries in an import format (the export round-trips through import), via COPY TO so
 * memory stays bounded. Columns: signal, value, quality, category, note.
 *
 * category and note are free text from lists others made: in csv and tsv, which curators open in spreadsheets,
 * one starting with =, +, -, @, tab or CR (`=HYPERLINK(..)`) gets a leading single quote, so the sheet shows it
 * as text instead of running it. The list parser (`@mod/matcher`) takes exactly that quote off again, so an
 * export imports back to the same values. jsonl keeps the text as it is. signal, value and quality never start
 * so (a signal name, hex digits, 0..100).
 */
export async function exportBankEntries(
  pool: Pool,
  bankId: string,
  format: ExportFormat,
  out: NodeJS.WritableStream,
): Promise<void> {
  const client = await pool.connect();
  try {
    // COPY takes no parameters: the id is checked to be a UUID before it is spliced in.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(bankId))
      throw new Error('bank id must be a UUID');
    const text =
      format === 'jsonl' ? 'category, note' : `${defusedColumn('category')}, ${defusedColumn('note')}`;
    const select = `select signal, value, quality, ${text} from bank_entries
      where bank_id = '${bankId}' and removed_at is null order by id`;
    // JSON lines through CSV mode with quote and delimiter bytes JSON never contains unescaped, so nothing is
    // escaped twice (text mode would double every backslash).
    const sql =
      format === 'jsonl'
        ? `copy (select jsonb_strip_nulls(to_jsonb(t))::text from (${select}) t) to stdout with (format csv, quote E'\x01', delimiter E'\x02')`
        : `copy (${select}) to stdout with (format csv, header true${format === 'tsv' ? `, delimiter E'\\t'` : ''})`;
    await pipeline(client.query(copyTo(sql)), out, { end: false });
  } finally {
    client.release();
  }
}
