// URL events normalised and matched per second per core against a 1,000,000-entry URL list.
// Baselines measured in the same run: `new URL()` alone and `normalizeUrl()` alone.
// Run: pnpm exec tsc -b packages/urls bench && pnpm bench:urls
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '@mod/testing';
import { normalizeUrl, UrlListIndex, type UrlListKind } from '@mod/urls';

const ENTRIES = 1_000_000;
const EVENTS = 200_000;
const ROUNDS = 5;

// Seeded, so every run sees the same list and events.
const random = seededRandom(7);
const pick = (n: number): number => Math.floor(random() * n);
const word = (): string => Math.floor(random() * 2 ** 32).toString(36);
const TLDS = ['com', 'net', 'org', 'vn', 'com.vn', 'co.uk', 'ru', 'info'];

function site(i: number): string {
  return `site${i.toString(36)}.${TLDS[i % TLDS.length]!}`;
}

// List: 40% exact URLs, 20% prefixes, 20% hosts, 20% domains, on 250k distinct registrable domains.
const SITES = 250_000;
const kinds: ReadonlyArray<[UrlListKind, number]> = [
  ['url', 0.4],
  ['prefix', 0.2],
  ['host', 0.2],
  ['domain', 0.2],
];
const patterns: Array<{ kind: UrlListKind; pattern: string }> = [];
for (const [kind, share] of kinds) {
  const count = Math.round(ENTRIES * share);
  for (let i = 0; i < count; i++) {
    const s = site(pick(SITES));
    switch (kind) {
      case 'url':
        patterns.push({ kind, pattern: `${s}/${word()}/${word()}.jpg${i % 3 === 0 ? `?id=${i}` : ''}` });
        break;
      case 'prefix':
        patterns.push({ kind, pattern: `img${i % 7}.${s}/u/${word()}/` });
        break;
      case 'host':
        patterns.push({ kind, pattern: `h${word()}.${s}` });
        break;
      case 'domain':
        patterns.push({ kind, pattern: `d${word()}.${s}` });
        break;
    }
  }
}

const heapBefore = process.memoryUsage().heapUsed;
const buildStart = performance.now();
const index = new UrlListIndex();
patterns.forEach((entry, i) => index.add({ id: `e${i}`, ...entry }));
const buildMs = performance.now() - buildStart;
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;

// Events: 45% hits of every kind (with spelling variants the normaliser must undo), 55% misses.
const events: string[] = [];
for (let i = 0; i < EVENTS; i++) {
  const roll = random();
  const entry = patterns[pick(patterns.length)]!;
  if (roll < 0.2 && entry.kind === 'url') {
    const [host, ...rest] = entry.pattern.split('/');
    events.push(`HTTPS://${host!.toUpperCase()}.:443/./${rest.join('/')}#frag`);
  } else if (roll < 0.3 && entry.kind === 'prefix') {
    events.push(`http://${entry.pattern}a/b/%7Ec/photo.png?size=large`);
  } else if (roll < 0.45 && (entry.kind === 'host' || entry.kind === 'domain')) {
    events.push(
      `http://${entry.kind === 'domain' ? 'cdn.x.' : ''}${entry.pattern}/media/${word()}.jpg?w=640&h=480`,
    );
  } else {
    const s = site(pick(SITES * 4));
    events.push(`https://www.${s}/${word()}/${word()}/${word()}.jpg?utm_source=${word()}&q=%e1%ba%a1`);
  }
}

interface Measured {
  readonly label: string;
  readonly perSecond: number;
  readonly checksum: number;
}

/**
 * Runs every body over all events, round-robin for ROUNDS rounds after one warm-up round, and reports the median
 * rate of each. Interleaving makes background load hit every variant alike, so the ratios stay meaningful.
 */
function measure(bodies: ReadonlyArray<readonly [string, (url: string) => number]>): Measured[] {
  const rates = bodies.map(() => [] as number[]);
  const checksums = bodies.map(() => 0);
  for (let round = 0; round <= ROUNDS; round++) {
    bodies.forEach(([, body], i) => {
      const start = performance.now();
      let sum = 0;
      for (const url of events) sum += body(url);
      const ms = performance.now() - start;
      if (round > 0) rates[i]!.push(events.length / (ms / 1000)); // round 0 warms the JIT
      checksums[i] = sum;
    });
  }
  return bodies.map(([label], i) => {
    const sorted = rates[i]!.sort((a, b) => a - b);
    return { label, perSecond: sorted[Math.floor(sorted.length / 2)]!, checksum: checksums[i]! };
  });
}

const results = measure([
  ['new URL() only', (url) => new URL(url).href.length],
  [
    'normalizeUrl() only',
    (url) => {
      const result = normalizeUrl(url);
      return result.ok ? result.url.key.length : 0;
    },
  ],
  [
    'normalizeUrl() + match (1M entries)',
    (url) => {
      const result = normalizeUrl(url);
      return result.ok ? index.match(result.url).length : 0;
    },
  ],
]);

const cpu = cpus();
console.log('# bench:urls');
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`,
);
console.log(
  `list: ${index.size.toLocaleString('en')} entries (40% url, 20% prefix, 20% host, 20% domain), built in ${(buildMs / 1000).toFixed(1)} s, ~${heapMb.toFixed(0)} MB heap`,
);
console.log(`events: ${EVENTS.toLocaleString('en')} URLs, median of ${ROUNDS} rounds, one thread (per core)`);
const baseline = results[0]!.perSecond;
for (const { label, perSecond } of results) {
  console.log(
    `${label.padEnd(38)} ${Math.round(perSecond).toLocaleString('en').padStart(12)} /s  (${(perSecond / baseline).toFixed(2)}x new URL())`,
  );
}
const matched = results[2]!;
const hits = events.reduce((sum, url) => {
  const result = normalizeUrl(url);
  return sum + (result.ok && index.match(result.url).length > 0 ? 1 : 0);
}, 0);
console.log(`matched events: ${((hits / EVENTS) * 100).toFixed(1)}%  (checksum ${matched.checksum})`);
console.log(`match cost over normalisation: ${(results[1]!.perSecond / matched.perSecond).toFixed(2)}x`);
console.log(
  `goal >= 50,000/s per core: ${matched.perSecond >= 50_000 ? 'met' : 'NOT met'} (${(matched.perSecond / 50_000).toFixed(1)}x the goal)`,
);
