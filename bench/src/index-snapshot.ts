/**
 * Scanner restart from a snapshot: `pnpm -s bench:index-snapshot --size N [--dir D] [--huge-pages] [--json]`.
 *
 * Builds the matcher a scanner holds (`BankMatcher`, one bank of N random PDQ entries with database-style
 * numeric ids, loaded through `applyChange` as the scanner's database load does), writes its snapshot to a file
 * with `services/scanner`'s own functions (streamed parts through a file handle, then fsync), drops it, and times reading
 * the file back into a new matcher and its first query. Baseline in the same run: the time the first build took
 * (what a scanner without a snapshot spends, before even reading PostgreSQL). The file is read right after it was
 * written, so mostly from the page cache: a cold disk adds size / disk bandwidth. `--huge-pages`: the same with the
 * typed arrays in 2 MiB pages (see `index-huge-pages.ts`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BankMatcher } from '@mod/matcher';
import { readSnapshotFile, writeSnapshotFile } from '@mod/scanner';
import { describePages, hugePageBytes, rerunWithHugePages } from './index-huge-pages.js';
import { positiveIntArg } from './cli-args.js';
import { describeMachine } from './machine.js';

const argv = process.argv.slice(2);
const rerun = rerunWithHugePages(argv);
if (rerun !== undefined) process.exit(rerun);
const numArg = (name: string, fallback: number): number => positiveIntArg(argv, name, fallback);
const size = numArg('--size', 1_000_000);
const asJson = argv.includes('--json');
const dirArg = argv.indexOf('--dir') >= 0 ? argv[argv.indexOf('--dir') + 1] : undefined;

const gc = (globalThis as { gc?: () => void }).gc;
const dir = dirArg ?? (await mkdtemp(join(os.tmpdir(), 'index-snapshot-bench-')));
const path = join(dir, 'bank-index.bin');
try {
  let t = performance.now();
  let m: BankMatcher | undefined = new BankMatcher({ capacity: { pdq: size } });
  const bankId = '00000000-0000-4000-8000-000000000001';
  m.applyChange({ type: 'bank-upserted', bank: { bankId, enabled: true, negative: false, thresholds: {} } });
  const block = 8192;
  let probe = '';
  for (let start = 0; start < size; start += block) {
    const count = Math.min(block, size - start);
    const hex = randomBytes(32 * count).toString('hex');
    for (let j = 0; j < count; j++) {
      const value = hex.slice(j * 64, j * 64 + 64);
      if (start + j === Math.floor(size / 2)) probe = value;
      m.applyChange({
        type: 'entry-added',
        entry: { bankId, entryId: String(start + j + 1), signal: 'pdq', value, quality: 90 },
      });
    }
  }
  const buildSeconds = (performance.now() - t) / 1000;
  const query = { pdq: { hash: probe, quality: 90 } };
  const before = m.match(query);

  t = performance.now();
  await writeSnapshotFile(path, m);
  const writeSeconds = (performance.now() - t) / 1000;
  const bytes = (await stat(path)).size;
  m = undefined;
  gc?.();
  const rssBeforeRead = process.memoryUsage().rss;

  t = performance.now();
  const restored = await readSnapshotFile(path);
  const readSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const after = restored.match(query);
  const firstQueryMs = performance.now() - t;
  const same = JSON.stringify(after) === JSON.stringify(before) && after.hits.length >= 1;
  const result = {
    machine: describeMachine(),
    entries: size,
    buildSeconds,
    snapshotBytes: bytes,
    writeSeconds,
    readSeconds,
    firstQueryMs,
    restartSeconds: readSeconds + firstQueryMs / 1000,
    sameResultAfterRestart: same,
    rssAfterReadBytes: process.memoryUsage().rss,
    rssBeforeReadBytes: rssBeforeRead,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    hugePageBytes: hugePageBytes(),
  };
  if (asJson) console.log(JSON.stringify(result));
  else {
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
    console.log(`machine:            ${result.machine}; load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}`);
    console.log(`pages:              ${describePages(result.hugePageBytes)}`);
    console.log(
      `entries:            ${size} PDQ in one bank (numeric ids), built in ${buildSeconds.toFixed(1)} s`,
    );
    console.log(
      `snapshot:           ${mib(bytes)}, written (streamed + fsync) in ${writeSeconds.toFixed(1)} s`,
    );
    console.log(`read back:          ${readSeconds.toFixed(1)} s; first query ${firstQueryMs.toFixed(2)} ms`);
    console.log(
      `restart vs build:   ${(result.restartSeconds / buildSeconds).toFixed(3)}x; same hits: ${same}`,
    );
    console.log(
      `RSS:                ${mib(rssBeforeRead)} before read, ${mib(result.rssAfterReadBytes)} after; peak ${mib(result.peakRssBytes)}`,
    );
  }
} finally {
  if (dirArg === undefined) await rm(dir, { recursive: true, force: true });
  else await rm(path, { force: true });
}
