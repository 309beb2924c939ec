/**
 * Bank import throughput: generates a PDQ list of N lines (CSV), imports it into a fresh schema through the same
 * code path as `modctl bank import` (stream parse + validate → COPY → diff → outbox), then re-imports it (the
 * idempotent no-change path). Baseline in the same run: parsing + validating alone, without the database.
 *   node bench/dist/bank-import.js [--lines N] [--json]
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBank, importBankList } from '@mod/curation';
import { createTestSchema } from '@mod/db';
import { parseBankListBatches } from '@mod/matcher';

const args = process.argv.slice(2);
const lines = Number(args[args.indexOf('--lines') + 1] ?? 1_000_000) || 1_000_000;
const asJson = args.includes('--json');

async function writeList(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('signal,value,quality,category\n');
  for (let i = 0; i < n; i += 10_000) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++)
      chunk.push(`pdq,${randomBytes(32).toString('hex')},${50 + (j % 50)},A\n`);
    if (!out.write(chunk.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const dir = await mkdtemp(join(tmpdir(), 'bank-import-bench-'));
const file = join(dir, 'list.csv');
await writeList(file, lines);

let t = performance.now();
let parsed = 0;
for await (const batch of parseBankListBatches(createReadStream(file), { format: 'csv' }))
  for (const r of batch) if ('entry' in r) parsed++;
const parseSeconds = (performance.now() - t) / 1000;

const db = await createTestSchema();
try {
  await createBank(
    db.pool,
    { name: 'bench', source: 'bench', signalTypes: ['pdq'], actionPolicy: 'review' },
    'bench.changes',
  );
  t = performance.now();
  const first = await importBankList(db.pool, {
    bankName: 'bench',
    format: 'csv',
    input: createReadStream(file),
    changesTopic: 'bench.changes',
  });
  const importSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const second = await importBankList(db.pool, {
    bankName: 'bench',
    format: 'csv',
    input: createReadStream(file),
    changesTopic: 'bench.changes',
  });
  const reimportSeconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  const result = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    lines,
    parseOnly: { seconds: parseSeconds, linesPerSecond: Math.round(parsed / parseSeconds) },
    import: { seconds: importSeconds, linesPerSecond: Math.round(lines / importSeconds), diff: first },
    reimport: { seconds: reimportSeconds, linesPerSecond: Math.round(lines / reimportSeconds), diff: second },
    importVsParse: Number((importSeconds / parseSeconds).toFixed(2)),
    peakRssBytes: peakRss,
  };
  if (asJson) console.log(JSON.stringify(result));
  else {
    console.log(`machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}`);
    console.log(`lines:           ${lines}`);
    console.log(
      `parse only:      ${parseSeconds.toFixed(1)} s  (${result.parseOnly.linesPerSecond} lines/s)`,
    );
    console.log(
      `import:          ${importSeconds.toFixed(1)} s  (${result.import.linesPerSecond} lines/s)  ${JSON.stringify(first)}`,
    );
    console.log(
      `re-import:       ${reimportSeconds.toFixed(1)} s  (${result.reimport.linesPerSecond} lines/s)  ${JSON.stringify(second)}`,
    );
    console.log(
      `import / parse:  ${result.importVsParse}x    peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
    );
  }
} finally {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
}
