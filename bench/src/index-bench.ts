/**
 * Hamming index benchmark: `pnpm -s bench:index --size N [--queries Q] [--radius R] [--chunks M]
 * [--chunk-bits 26,26,...] [--huge-pages] [--json]`.
 *
 * Generates N PDQ-like hashes (256 bits, exactly 128 set, as PDQ's median threshold gives) and Q query
 * hashes, each with one neighbour planted in the bank at distance (j mod 32) (0..31; odd distances need a
 * 127/129-bit neighbour since two 128-bit hashes differ in an even number of bits). Measures build time, RSS,
 * single-query latency and throughput of the multi-index search at radius R on one core, and the brute-force
 * scan over the same layout in the same run as the baseline. Recall is checked two ways: every planted
 * neighbour must come back with its exact distance, and on a sample of queries the index's result set must
 * equal the brute-force result set.
 *
 * `--huge-pages` runs the same with the typed arrays in 2 MiB pages (see `index-huge-pages.ts`).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { HammingIndex, SearchHits } from '@mod/matcher';
import { describePages, hugePageBytes, rerunWithHugePages } from './index-huge-pages.js';

interface Args {
  size: number;
  queries: number;
  radius: number;
  json: boolean;
  bruteSamples: number;
  seed: number;
  chunks: number | undefined;
  chunkBits: number[] | undefined;
  hugePages: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    size: 1_000_000,
    queries: 2000,
    radius: 31,
    json: false,
    bruteSamples: -1,
    seed: 42,
    chunks: undefined,
    chunkBits: undefined,
    hugePages: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--size') args.size = num();
    else if (a === '--queries') args.queries = num();
    else if (a === '--radius') args.radius = num();
    else if (a === '--brute-samples') args.bruteSamples = num();
    else if (a === '--seed') args.seed = num();
    else if (a === '--chunks') args.chunks = num();
    else if (a === '--chunk-bits') args.chunkBits = String(argv[++i]).split(',').map(Number);
    else if (a === '--json') args.json = true;
    else if (a === '--huge-pages') args.hugePages = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.size < 1 || args.queries < 1 || args.queries > args.size)
    throw new Error('need 1 <= queries <= size');
  if (args.bruteSamples < 0)
    args.bruteSamples = Math.min(args.queries, Math.max(10, Math.floor(2e8 / args.size)));
  return args;
}

/** xorshift128: fast, seeded, good enough for synthetic bits. */
function createRng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123;
  return () => {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w;
  };
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function bitAt(a: Uint32Array, off: number, b: number): number {
  return ((a[off + (b >>> 5)] ?? 0) >>> (b & 31)) & 1;
}

function flip(a: Uint32Array, off: number, b: number): void {
  a[off + (b >>> 5)] = ((a[off + (b >>> 5)] ?? 0) ^ (1 << (b & 31))) >>> 0;
}

/** Random 256-bit hash with exactly 128 bits set, written at a[off..off+8). */
function pdqLike(rng: () => number, a: Uint32Array, off: number): void {
  let ones = 0;
  for (let w = 0; w < 8; w++) {
    const v = rng();
    a[off + w] = v;
    ones += popcount(v);
  }
  while (ones !== 128) {
    const b = rng() & 255;
    const set = bitAt(a, off, b) === 1;
    if (ones > 128 && set) {
      flip(a, off, b);
      ones--;
    } else if (ones < 128 && !set) {
      flip(a, off, b);
      ones++;
    }
  }
}

/** Copies src into dst then flips `distance` distinct bits: balanced 1->0 / 0->1 (one extra for odd). */
function plantNeighbour(
  rng: () => number,
  src: Uint32Array,
  so: number,
  dst: Uint32Array,
  d0: number,
  distance: number,
): void {
  for (let w = 0; w < 8; w++) dst[d0 + w] = src[so + w] ?? 0;
  let down = Math.ceil(distance / 2);
  let up = distance - down;
  const touched = new Set<number>();
  while (down + up > 0) {
    const b = rng() & 255;
    if (touched.has(b)) continue;
    const set = bitAt(src, so, b) === 1;
    if (set && down > 0) down--;
    else if (!set && up > 0) up--;
    else continue;
    touched.add(b);
    flip(dst, d0, b);
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))] ?? 0;
}

function machine(): { cpu: string; cores: number; node: string; totalMemBytes: number; platform: string } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.arch()}`,
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rerun = rerunWithHugePages(process.argv.slice(2));
  if (rerun !== undefined) {
    process.exitCode = rerun;
    return;
  }
  const rng = createRng(args.seed);
  const { size: n, queries: qn, radius } = args;

  // Queries and where each one's planted neighbour lives in the bank.
  const queries = new Uint32Array(qn * 8);
  for (let j = 0; j < qn; j++) pdqLike(rng, queries, j * 8);
  const plantedAt = new Map<number, number>(); // bank position -> query
  while (plantedAt.size < qn) {
    const pos = Math.floor((rng() / 2 ** 32) * n);
    if (!plantedAt.has(pos)) plantedAt.set(pos, plantedAt.size);
  }
  const plantedPos = new Int32Array(qn);
  for (const [pos, j] of plantedAt) plantedPos[j] = pos;

  // Build: generate in blocks so the bank is never held twice; only the index add is timed.
  const index = new HammingIndex({
    capacity: n,
    ...(args.chunks === undefined ? {} : { chunks: args.chunks }),
    ...(args.chunkBits === undefined ? {} : { chunkBits: args.chunkBits }),
  });
  const block = 65536;
  const buf = new Uint32Array(block * 8);
  const rssBefore = process.memoryUsage().rss;
  let buildMs = 0;
  const slotOfPos = new Int32Array(n);
  for (let start = 0; start < n; start += block) {
    const count = Math.min(block, n - start);
    for (let i = 0; i < count; i++) {
      const j = plantedAt.get(start + i);
      if (j === undefined) pdqLike(rng, buf, i * 8);
      else plantNeighbour(rng, queries, j * 8, buf, i * 8, j % 32);
    }
    const t0 = performance.now();
    for (let i = 0; i < count; i++) slotOfPos[start + i] = index.addWords(buf, i * 8);
    buildMs += performance.now() - t0;
  }
  const rssAfterBuild = process.memoryUsage().rss;
  const hugeBytes = hugePageBytes();

  const hits = new SearchHits();
  // Warm-up on fresh random queries (not the measured set).
  const warm = new Uint32Array(8);
  for (let i = 0; i < Math.min(200, qn); i++) {
    pdqLike(rng, warm, 0);
    index.searchWords(warm, 0, radius, hits);
  }

  // Single-query latency and throughput.
  const lat = new Float64Array(qn);
  let plantedFound = 0;
  let totalHits = 0;
  const tAll = performance.now();
  for (let j = 0; j < qn; j++) {
    const t0 = performance.now();
    const c = index.searchWords(queries, j * 8, radius, hits);
    lat[j] = performance.now() - t0;
    totalHits += c;
    const want = slotOfPos[plantedPos[j] ?? 0] ?? -1;
    const wantDistance = j % 32;
    for (let h = 0; h < c; h++) {
      if (hits.slots[h] === want && hits.distances[h] === wantDistance) {
        plantedFound++;
        break;
      }
    }
  }
  const allMs = performance.now() - tAll;
  const sorted = lat.slice().sort();
  const plantedExpected = Array.from({ length: qn }, (_, j) => j % 32).filter((d) => d <= radius).length;

  // Brute force on a sample: the baseline and the ground truth for recall.
  const brute = new SearchHits();
  let bruteMs = 0;
  let truth = 0;
  let agreed = 0;
  let extra = 0;
  for (let s = 0; s < args.bruteSamples; s++) {
    const j = Math.floor((s * qn) / args.bruteSamples);
    const t0 = performance.now();
    const bc = index.scan(queries, j * 8, radius, brute);
    bruteMs += performance.now() - t0;
    const ic = index.searchWords(queries, j * 8, radius, hits);
    const got = new Map<number, number>();
    for (let h = 0; h < ic; h++) got.set(hits.slots[h] ?? -1, hits.distances[h] ?? -1);
    truth += bc;
    for (let h = 0; h < bc; h++) if (got.get(brute.slots[h] ?? -2) === brute.distances[h]) agreed++;
    extra += Math.max(0, ic - bc);
  }
  const rssEnd = process.memoryUsage().rss;

  const queriesPerSecond = qn / (allMs / 1000);
  const bruteForceQueriesPerSecond = args.bruteSamples / (bruteMs / 1000);
  const result = {
    size: n,
    radius,
    chunks: index.chunks,
    queries: qn,
    buildSeconds: buildMs / 1000,
    rssBytes: Math.max(rssAfterBuild, rssEnd),
    rssIndexDeltaBytes: rssAfterBuild - rssBefore,
    indexTypedArrayBytes: index.byteSize,
    queriesPerSecond,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    meanHitsPerQuery: totalHits / qn,
    recall: truth === 0 ? 1 : agreed / truth,
    plantedRecall: plantedExpected === 0 ? 1 : plantedFound / plantedExpected,
    falsePositives: extra,
    bruteForceSamples: args.bruteSamples,
    bruteForceQueriesPerSecond,
    speedupVsBruteForce: queriesPerSecond / bruteForceQueriesPerSecond,
    hugePageBytes: hugeBytes,
    batchedQueriesPerSecond: null,
    machine: machine(),
  };
  if (args.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const m = result.machine;
  console.log(
    `machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}, ${mb(m.totalMemBytes)} RAM`,
  );
  console.log(
    `bank: ${n} PDQ-like hashes (128 of 256 bits set), ${qn} queries, radius ${radius}, ${index.chunks} substrings, one core`,
  );
  console.log(`pages: ${describePages(hugeBytes)}; load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}`);
  const rows: [string, string][] = [
    ['build', `${result.buildSeconds.toFixed(2)} s`],
    ['RSS (max)', mb(result.rssBytes)],
    ['index typed arrays', mb(result.indexTypedArrayBytes)],
    ['queries/s (single)', result.queriesPerSecond.toFixed(0)],
    [
      'p50 / p99 / max',
      `${result.p50Ms.toFixed(3)} / ${result.p99Ms.toFixed(3)} / ${result.maxMs.toFixed(3)} ms`,
    ],
    ['recall vs brute force', `${result.recall} (${truth} true neighbours, ${args.bruteSamples} queries)`],
    ['planted recall', `${result.plantedRecall} (${plantedFound}/${plantedExpected})`],
    ['false positives', String(extra)],
    ['brute force queries/s', result.bruteForceQueriesPerSecond.toFixed(1)],
    ['speed-up vs brute force', `${result.speedupVsBruteForce.toFixed(1)}x`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(26)} ${v}`);
}

main();
