/**
 * Bank import throughput at list sizes up to the largest shared lists (60M PDQ hashes):
 *   node bench/dist/bank-import.js [--size N] [--duplicates D] [--no-reimport] [--no-parse-baseline] [--json]
 *
 * Generates a PDQ list of N lines (CSV, streamed to a file under the OS temp directory; with --duplicates, D of
 * them, evenly spread, repeat the line before), imports it into a fresh bank through the same code path as
 * `modctl bank import` (stream parse + validate → COPY → duplicates → diff → outbox), then re-imports it (the
 * idempotent no-change path). Baseline in the same run: parsing + validating alone, as the import does it
 * (duplicates are the database's to find), without the database. Reports time (and when the list was staged,
 * duplicates found, and the bank began to change), rows/s, the importing process's peak RSS
 * (`process.resourceUsage().maxRSS`) and PostgreSQL's disk use for the bank's table and indexes.
 *
 * Needs PostgreSQL at 127.0.0.1:5432 with trust auth for the `postgres` role (as `deploy/local` sets it up): the
 * bench creates a database of its own (`mod_bench_import_<random>`, or BENCH_IMPORT_ADMIN_URL's server) and drops
 * it at the end, so it never touches the pipeline's data.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBank, importBankList } from '@mod/curation';
import { createPool } from '@mod/db';
import { createTestSchema } from '@mod/testing';
import { parseBankListBatches } from '@mod/matcher';
import { positiveIntArg } from './cli-args.js';
import { describeMachine } from './machine.js';

const args = process.argv.slice(2);
const numArg = (name: string, fallback: number): number => positiveIntArg(args, name, fallback);
const lines = numArg('--size', numArg('--lines', 1_000_000));
const duplicates = args.includes('--duplicates') ? numArg('--duplicates', 0) : 0;
if (duplicates >= lines) throw new Error('--duplicates must be fewer than the lines');
const asJson = args.includes('--json');
const reimport = !args.includes('--no-reimport');
const parseBaseline = !args.includes('--no-parse-baseline');
const adminUrl = process.env['BENCH_IMPORT_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Streams N CSV lines to `path` (64 KiB-ish writes, back-pressure respected: memory stays flat at any N); `dups`
 * of them (each the last of a run of N / dups lines) repeat the value of the line before.
 */
async function writeList(path: string, n: number, dups: number): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  out.write('signal,value,quality,category\n');
  const per = 10_000;
  const every = dups > 0 ? Math.floor(n / dups) : 0;
  let planted = 0;
  for (let i = 0; i < n; i += per) {
    const count = Math.min(per, n - i);
    const hex = randomBytes(32 * count).toString('hex');
    let chunk = '';
    for (let j = 0; j < count; j++) {
      const repeat = every > 0 && j > 0 && planted < dups && (i + j + 1) % every === 0;
      if (repeat) planted++;
      const at = repeat ? j - 1 : j;
      chunk += `pdq,${hex.slice(at * 64, at * 64 + 64)},${50 + ((i + j) % 50)},A\n`;
    }
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

function machine(): string {
  return `${describeMachine()} (${(freemem() / 2 ** 30).toFixed(0)} GiB free at start)`;
}

const maxRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

const dbName = `mod_bench_import_${randomBytes(4).toString('hex')}`;
const admin = createPool({ connectionString: adminUrl, max: 1, applicationName: 'bench-import-admin' });
await admin.query(`create database ${dbName}`);
const benchUrl = new URL(adminUrl);
benchUrl.pathname = `/${dbName}`;
const dir = await mkdtemp(join(tmpdir(), 'bank-import-bench-'));
try {
  const file = join(dir, 'list.csv');
  let t = performance.now();
  await writeList(file, lines, duplicates);
  const generateSeconds = (performance.now() - t) / 1000;
  const fileBytes = (await stat(file)).size;

  let parseSeconds = 0;
  if (parseBaseline) {
    t = performance.now();
    let parsed = 0;
    for await (const batch of parseBankListBatches(createReadStream(file), {
      format: 'csv',
      detectDuplicates: false,
    }))
      for (const r of batch) if ('entry' in r) parsed++;
    parseSeconds = (performance.now() - t) / 1000;
    if (parsed !== lines) throw new Error(`parsed ${parsed} of ${lines} lines`);
  }
  const rssAfterParse = maxRssBytes();

  const db = await createTestSchema(benchUrl.toString());
  try {
    await createBank(
      db.pool,
      { name: 'bench', source: 'bench', signalTypes: ['pdq'], actionPolicy: 'review' },
      'bench.changes',
    );
    const importOnce = async () => {
      const t0 = performance.now();
      // Staged: the whole list is in the database and its duplicates are found; the bank is about to change.
      let stagedAt = 0;
      const diff = await importBankList(db.pool, {
        bankName: 'bench',
        format: 'csv',
        input: createReadStream(file),
        changesTopic: 'bench.changes',
        onProgress: (p) => {
          if (p.phase === 'applying') stagedAt = performance.now();
        },
      });
      const end = performance.now();
      return {
        seconds: (end - t0) / 1000,
        stagedSeconds: (stagedAt - t0) / 1000,
        applySeconds: (end - stagedAt) / 1000,
        diff,
      };
    };
    const first = await importOnce();
    const rssAfterImport = maxRssBytes();
    const second = reimport ? await importOnce() : null;
    const { rows } = await db.pool.query<{ table: string; indexes: string; database: string }>(
      `select pg_table_size('bank_entries') as table, pg_indexes_size('bank_entries') as indexes,
              pg_database_size(current_database()) as database`,
    );
    const disk = {
      tableBytes: Number(rows[0]?.table ?? 0),
      indexBytes: Number(rows[0]?.indexes ?? 0),
      databaseBytes: Number(rows[0]?.database ?? 0),
    };
    const result = {
      machine: machine(),
      lines,
      fileBytes,
      generateSeconds,
      parseOnly: parseBaseline
        ? { seconds: parseSeconds, linesPerSecond: Math.round(lines / parseSeconds) }
        : null,
      duplicates,
      import: {
        seconds: first.seconds,
        stagedSeconds: first.stagedSeconds,
        applySeconds: first.applySeconds,
        rowsPerSecond: Math.round(lines / first.seconds),
        diff: first.diff,
      },
      reimport: second
        ? { seconds: second.seconds, rowsPerSecond: Math.round(lines / second.seconds), diff: second.diff }
        : null,
      importVsParse: parseBaseline ? Number((first.seconds / parseSeconds).toFixed(2)) : null,
      peakRssBytes: maxRssBytes(),
      peakRssAfterParseBytes: rssAfterParse,
      peakRssAfterImportBytes: rssAfterImport,
      postgres: disk,
    };
    if (asJson) console.log(JSON.stringify(result));
    else {
      const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
      console.log(`machine:         ${result.machine}`);
      console.log(
        `lines:           ${lines} (${mib(fileBytes)} CSV, generated in ${generateSeconds.toFixed(1)} s${duplicates > 0 ? `; ${duplicates} repeat the line before` : ''})`,
      );
      if (result.parseOnly)
        console.log(
          `parse only:      ${parseSeconds.toFixed(1)} s  (${result.parseOnly.linesPerSecond} lines/s)`,
        );
      console.log(
        `import:          ${first.seconds.toFixed(1)} s  (${result.import.rowsPerSecond} rows/s)  ${JSON.stringify(first.diff)}`,
      );
      console.log(
        `  staged:        ${first.stagedSeconds.toFixed(1)} s (parse, COPY, duplicates), then applied in ${first.applySeconds.toFixed(1)} s`,
      );
      if (second && result.reimport)
        console.log(
          `re-import:       ${second.seconds.toFixed(1)} s  (${result.reimport.rowsPerSecond} rows/s)  ${JSON.stringify(second.diff)}`,
        );
      if (result.importVsParse !== null) console.log(`import / parse:  ${result.importVsParse}x`);
      console.log(
        `peak RSS:        ${mib(result.peakRssBytes)} (after parse ${mib(rssAfterParse)}, after import ${mib(rssAfterImport)})`,
      );
      console.log(
        `PostgreSQL disk: bank_entries ${mib(disk.tableBytes)} + indexes ${mib(disk.indexBytes)}; database ${mib(disk.databaseBytes)}`,
      );
    }
  } finally {
    await db.drop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  await admin.end();
}
