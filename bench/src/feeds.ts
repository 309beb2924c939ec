/**
 * ISP feed store with a large URL list: imports N URL entries (the URL-list import path), then times what a
 * feed request does with the row store (`feed_entries`): the first build, a refresh with nothing changed, a
 * refresh after one new entry, a full URL list streamed from the database, and "changes since" the first
 * serial. Same workload as the measurement of the former JSON-document store (see the report in git history).
 *   node bench/dist/feeds.js [--entries N] [--json]
 */
import { cpus } from 'node:os';
import { Readable } from 'node:stream';
import { createUrlList, importUrlList } from '@mod/curation';
import { upsertTenant } from '@mod/db/access';
import { listFeedLineChanges, refreshFeedState, streamFeedLines, type FeedRenderer } from '@mod/db/feeds';
import { createTestSchema } from '@mod/testing';
import { FEED_RENDER_VERSION, feedHead, feedLinesOf, nextSerial } from '@mod/urls';

const args = process.argv.slice(2);
const n = Number(args[args.indexOf('--entries') + 1] ?? 1_000_000) || 1_000_000;
const asJson = args.includes('--json');
const by = { actor: { kind: 'service' as const, id: 'bench' }, role: null, tenantId: null };
const renderer: FeedRenderer = {
  version: FEED_RENDER_VERSION,
  nextSerial,
  linesOf: (e) => {
    const { urlLine, hostLine, rpzHost } = feedLinesOf(e);
    return { urlLine, hostLine, rpzHost };
  },
};

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, Math.round(performance.now() - t)];
};

function* lines(): Generator<string> {
  for (let i = 0; i < n; i += 10_000) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++)
      chunk.push(`site${j % 50_000}.example/gallery/${j}.html\n`);
    yield chunk.join('');
  }
}

const db = await createTestSchema();
try {
  await upsertTenant(db.pool, { id: 'isp-1', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
  const { bank } = await createUrlList(
    db.pool,
    { name: 'big', source: 'bench', actionPolicy: 'automatic' },
    't',
    by,
  );
  const [imported, importMs] = await time(() =>
    importUrlList(db.pool, {
      bankId: bank.id,
      format: 'txt',
      input: Readable.from(lines()),
      changesTopic: 't',
      provenance: 'bench',
      by,
    }),
  );
  const [first, buildMs] = await time(() => refreshFeedState(db.pool, 'isp-1', renderer));
  await db.pool.query('analyze feed_entries');
  const [, noChangeMs] = await time(() => refreshFeedState(db.pool, 'isp-1', renderer));
  await importUrlList(db.pool, {
    bankId: bank.id,
    format: 'txt',
    mode: 'append',
    input: Readable.from(['one-more.example/x']),
    changesTopic: 't',
    provenance: 'bench',
    by,
  });
  const [after, oneChangeMs] = await time(() => refreshFeedState(db.pool, 'isp-1', renderer));
  const [fullBytes, fullMs] = await time(async () => {
    const state = await refreshFeedState(db.pool, 'isp-1', renderer);
    let bytes = 0;
    for await (const chunk of streamFeedLines(db.pool, {
      ispTenantId: 'isp-1',
      serial: state.serial,
      column: 'url_line',
      head: feedHead('url-list', state.serial),
    }))
      bytes += (chunk as Buffer).length;
    return bytes;
  });
  const [inc, incMs] = await time(async () => {
    const state = await refreshFeedState(db.pool, 'isp-1', renderer);
    return listFeedLineChanges(db.pool, {
      ispTenantId: 'isp-1',
      column: 'url_line',
      fromSerial: first.serial,
      toSerial: state.serial,
    });
  });
  const size = await db.pool.query<{ entries: string }>(
    `select pg_size_pretty(pg_total_relation_size('feed_entries')) as entries`,
  );
  clearInterval(sampler);
  const result = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    entries: n,
    urlListImport: { ms: importMs, added: imported.added, linesPerSecond: Math.round(n / (importMs / 1000)) },
    firstBuildMs: buildMs,
    noChangeRefreshMs: noChangeMs,
    oneChangeRefreshMs: oneChangeMs,
    serial: after.serial,
    fullUrlListRefreshAndStreamMs: fullMs,
    fullBytes,
    incrementalSinceFirstMs: incMs,
    incremental: inc,
    feedEntriesSize: size.rows[0]?.entries,
    peakRssMb: Math.round(peakRss / 1e6),
  };
  if (asJson) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
} finally {
  clearInterval(sampler);
  await db.drop();
}
