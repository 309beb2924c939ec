import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addUrlListPatterns,
  createUrlList,
  importUrlList,
  removeUrlListPatterns,
  updateUrlListSettings,
  type Curator,
} from '@mod/curation';
import { withTransaction } from '@mod/db';
import { listWantedBlocklist, refreshFeedState, setFeedSettings, type FeedEntry } from '@mod/db/feeds';
import { commandOrder } from '@mod/db/orders';
import { tenantWithKey } from '@mod/testing';
import { renderFeed, type RpzOptions } from '@mod/urls';
import { FEED_RENDERER } from './routes/isp-feeds.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';

const api = useCallersWorld();
let ispKey: string;
let listId: string;
const ISP = 'isp-feeds';
const by: Curator = { actor: { kind: 'service', id: 'test' }, role: null, tenantId: null };
/** The entries the feed held at each serial, as the reference renderer sees them. */
const history = new Map<number, FeedEntry[]>();

const FORMATS = ['rpz', 'url-list', 'domain-list'] as const;
let rpz: RpzOptions = { zoneName: 'rpz.mod.local', action: { type: 'nxdomain' } };

beforeAll(async () => {
  ispKey = await tenantWithKey(api.db, { id: ISP, kind: 'isp', role: 'isp' });
  listId = (
    await createUrlList(
      api.db,
      { name: 'feed-test', source: 'test', actionPolicy: 'automatic' },
      api.world.topics.urlListChanges,
      by,
    )
  ).bank.id;
});

const feed = (format: string, since?: number, headers: Record<string, string> = {}) =>
  api.app.inject({
    method: 'GET',
    url: `/v1/isp/feeds/${format}${since === undefined ? '' : `?since=${since}`}`,
    headers: { authorization: `Bearer ${ispKey}`, ...headers },
  });

const add = (entries: unknown[]) =>
  addUrlListPatterns(api.db, {
    bankId: listId,
    entries,
    changesTopic: api.world.topics.urlListChanges,
    provenance: 'test',
    by,
  });

/** Refreshes through the API and records what the reference says the feed holds at the serial it reports. */
async function snapshot(): Promise<number> {
  const res = await feed('url-list');
  const serial = Number(res.headers['x-feed-serial']);
  history.set(serial, await listWantedBlocklist(api.db, ISP));
  return serial;
}

/** Every format in full and incrementally since every recorded serial, against the pure renderer. */
async function expectFeedsMatchReference(serial: number): Promise<void> {
  const now = history.get(serial)!;
  for (const format of FORMATS) {
    const full = await feed(format);
    const expected = renderFeed(format, { serial, entries: now }, rpz);
    expect(full.headers['x-feed-kind']).toBe('full');
    expect(full.headers['content-type']).toBe(expected.contentType);
    expect(full.body, `${format} at ${serial}`).toBe(expected.body);
    for (const [since, then] of history) {
      if (since > serial) continue;
      const inc = await feed(format, since);
      expect(inc.headers['x-feed-kind'], `${format} since ${since}`).toBe('incremental');
      const before = new Set(renderFeed(format, { serial: since, entries: then }, rpz).lines);
      const after = new Set(expected.lines);
      const lines = inc.body.split('\n').filter((l) => l.startsWith('+') || l.startsWith('-'));
      expect(lines, `${format} since ${since}`).toEqual([
        ...[...before]
          .filter((l) => !after.has(l))
          .sort()
          .map((l) => `-${l}`),
        ...[...after]
          .filter((l) => !before.has(l))
          .sort()
          .map((l) => `+${l}`),
      ]);
    }
  }
}

describe('ISP feeds from the row store', () => {
  it('serves byte-for-byte what the pure renderer gives, full and since every serial, as entries come and go', async () => {
    history.set(await snapshot(), []);
    const a = await add([
      { kind: 'url', pattern: 'http://Shared.example/gallery/1.jpg?id=7#x' },
      { kind: 'url', pattern: 'shared.example/gallery/2.jpg' },
      { kind: 'prefix', pattern: 'shared.example/dir/' },
      { kind: 'domain', pattern: 'ring.example', dedicatedToAbuse: true },
      { kind: 'host', pattern: 'Bücher-abuse.example', dedicatedToAbuse: true },
      { kind: 'host', pattern: '203.0.113.9', dedicatedToAbuse: true }, // domain list only, never in the RPZ
      { kind: 'host', pattern: 'not-dedicated.example' }, // never in a feed
      { kind: 'url', pattern: 'under_score.example/x', dedicatedToAbuse: true },
    ]);
    expect(a.errors).toEqual([]);
    const s1 = await snapshot();
    await expectFeedsMatchReference(s1);

    // An order for a URL that a list entry also renders to: one line, and removing one keeps the line.
    const blocking = {
      kind: 'blocking',
      targetTenantId: ISP,
      issuer: { kind: 'authority', id: 'a' },
    } as const;
    const orderId = await openTestOrder(api.world, {
      ...blocking,
      subjectType: 'url',
      subjectValue: 'https://shared.example/gallery/2.jpg',
    });
    await openTestOrder(api.world, { ...blocking, subjectType: 'host', subjectValue: 'whole-host.example' });
    await add([{ kind: 'host', pattern: 'WHOLE-host.example', dedicatedToAbuse: true }]); // same name as the order
    const s2 = await snapshot();
    expect(s2).toBe(s1 + 1);
    await expectFeedsMatchReference(s2);
    expect((await feed('url-list')).body.match(/shared\.example\/gallery\/2\.jpg/g)).toHaveLength(1);
    expect((await feed('domain-list')).body.match(/whole-host\.example/g)).toHaveLength(1);
    await removeUrlListPatterns(api.db, {
      bankId: listId,
      removals: [
        { kind: 'url', pattern: 'shared.example/gallery/2.jpg' },
        { kind: 'domain', pattern: 'ring.example' },
      ],
      reason: 'test',
      changesTopic: api.world.topics.urlListChanges,
      by,
    });
    const s3 = await snapshot();
    await expectFeedsMatchReference(s3);
    // Withdrawing the order takes its line out (no list entry renders to it any more).
    await withTransaction(api.db, (c) =>
      commandOrder(c, {
        id: orderId,
        scope: { all: true },
        command: { type: 'withdraw', reason: 'test' },
        now: new Date(),
        actor: 'test',
      }),
    );
    const s4 = await snapshot();
    expect(s4).toBe(s3 + 1);
    // A walled garden rewrites every record: the zone gets a new serial (a resolver transferring it sees the
    // change) and older serials get the full feed (an incremental `-name CNAME blocked.isp.example.` would remove
    // nothing from a resolver holding `name CNAME .`, and a withdrawn name would stay blocked).
    const etagBefore = String((await feed('rpz')).headers['etag']);
    const walled = { zoneName: 'rpz.isp.example', walledGardenHost: 'blocked.isp.example' };
    await setFeedSettings(api.db, ISP, walled);
    rpz = { zoneName: 'rpz.isp.example', action: { type: 'walled-garden', host: 'blocked.isp.example' } };
    const s5 = await snapshot();
    expect(s5).toBe(s4 + 1);
    for (const format of FORMATS) expect((await feed(format, s4)).headers['x-feed-kind']).toBe('full');
    for (const serial of [...history.keys()]) if (serial !== s5) history.delete(serial);
    await expectFeedsMatchReference(s5);
    const rpzNow = await feed('rpz');
    expect(rpzNow.body).toContain('whole-host.example CNAME blocked.isp.example.');
    expect(rpzNow.body).toContain(`SOA localhost. hostmaster.localhost. ${s5} `);
    expect(rpzNow.headers['etag']).not.toBe(etagBefore);
    expect(Number(rpzNow.headers['x-feed-serial'])).toBe(s5);
    // The same settings again are no change.
    await setFeedSettings(api.db, ISP, walled);
    expect(await snapshot()).toBe(s5);
    expect(
      (await feed('rpz', undefined, { 'if-none-match': String(rpzNow.headers['etag']) })).statusCode,
    ).toBe(304);
  });

  it('keeps the serial when nothing changed, and one change gets one serial under concurrent reads', async () => {
    const before = await snapshot();
    expect(await snapshot()).toBe(before);
    await add([{ kind: 'url', pattern: `concurrent.example/${randomBytes(4).toString('hex')}` }]);
    const answers = await Promise.all(Array.from({ length: 6 }, () => feed('url-list')));
    expect(new Set(answers.map((r) => r.headers['x-feed-serial']))).toEqual(new Set([String(before + 1)]));
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    history.set(before + 1, await listWantedBlocklist(api.db, ISP));
  });

  it('prunes history past the kept window (older `since` gets the full feed) and rebuilds rendered lines', async () => {
    const start = await snapshot();
    for (let i = 0; i < 4; i++) {
      await add([{ kind: 'url', pattern: `prune.example/${i}` }]);
      await refreshFeedState(api.db, ISP, FEED_RENDERER, { historyKept: 2 });
      if (i === 0)
        await removeUrlListPatterns(api.db, {
          bankId: listId,
          removals: [{ kind: 'url', pattern: 'prune.example/0' }],
          reason: 'test',
          changesTopic: api.world.topics.urlListChanges,
          by,
        });
    }
    const serial = await snapshot();
    expect(serial).toBe(start + 4);
    expect((await feed('url-list', serial - 3)).headers['x-feed-kind']).toBe('full');
    expect((await feed('url-list', serial - 2)).headers['x-feed-kind']).toBe('incremental');
    const pruned = await api.db.query<{ n: number }>(
      `select count(*)::int as n from feed_entries where isp_tenant_id = $1 and removed_serial <= $2`,
      [ISP, serial - 2],
    );
    expect(pruned.rows[0]?.n).toBe(0);

    // Lines rendered by another version (or none, right after the migration to rows): written again at the next
    // serial; older serials get the full feed, and the bytes do not change.
    const fullBefore = (await feed('url-list')).body;
    await api.db.query(`update feed_state set render_version = null where isp_tenant_id = $1`, [ISP]);
    const rebuilt = await feed('url-list');
    expect(Number(rebuilt.headers['x-feed-serial'])).toBe(serial + 1);
    expect(rebuilt.body).toBe(fullBefore);
    expect((await feed('url-list', serial)).headers['x-feed-kind']).toBe('full');
    const live = await api.db.query<{ n: number; old: number }>(
      `select count(*) filter (where removed_serial is null)::int as n,
         count(*) filter (where added_serial <= $2 and removed_serial is null)::int as old
         from feed_entries where isp_tenant_id = $1`,
      [ISP, serial],
    );
    expect(live.rows[0]).toEqual({ n: (await listWantedBlocklist(api.db, ISP)).length, old: 0 });
  });
  it('notices every change of its inputs: one entry in and one out, a list switched off and on', async () => {
    const [x] = (await add([{ kind: 'url', pattern: 'swap.example/old' }])).added;
    const before = await snapshot();
    // One added and one removed: the live count is the same, the total is not.
    await add([{ kind: 'url', pattern: 'swap.example/new' }]);
    await removeUrlListPatterns(api.db, {
      bankId: listId,
      removals: [{ id: x!.id }],
      reason: 'test',
      changesTopic: api.world.topics.urlListChanges,
      by,
    });
    const swapped = await feed('url-list', before);
    expect(swapped.body.split('\n').filter((l) => /^[+-]/.test(l))).toEqual([
      '-swap.example/old',
      '+swap.example/new',
    ]);
    await updateUrlListSettings(api.db, listId, { enabled: false }, api.world.topics.urlListChanges, by);
    expect((await feed('url-list')).body).not.toContain('swap.example');
    await updateUrlListSettings(api.db, listId, { enabled: true }, api.world.topics.urlListChanges, by);
    expect((await feed('url-list')).body).toContain('swap.example/new');
  });

  it('refuses to change or delete URL-list entries in place (the feed refresh relies on it)', async () => {
    const [e] = (await add([{ kind: 'url', pattern: 'immutable.example/a' }])).added;
    await expect(
      api.db.query(`update url_list_entries set block = false where id = $1`, [e!.id]),
    ).rejects.toThrow(/only change by being removed once/);
    await expect(api.db.query(`delete from url_list_entries where id = $1`, [e!.id])).rejects.toThrow(
      /never deleted/,
    );
    await api.db.query(`update url_list_entries set removed_at = now() where id = $1`, [e!.id]);
    await expect(
      api.db.query(`update url_list_entries set removed_at = null where id = $1`, [e!.id]),
    ).rejects.toThrow(/only change by being removed once/);
  });
  it('streams a large change in with COPY and out in byte order: the same bytes, backslashes included', async () => {
    const before = await snapshot();
    const lines = Array.from(
      { length: 6000 },
      (_, i) => `big.example/${i % 7}/p${i}?q=a\\b${i % 3 === 0 ? '"x"' : ''}`,
    );
    const report = await importUrlList(api.db, {
      bankId: listId,
      format: 'txt',
      mode: 'append',
      input: Readable.from([Buffer.from(lines.join('\n'))]),
      changesTopic: api.world.topics.urlListChanges,
      provenance: 'test',
      by,
    });
    expect(report.added).toBe(6000);
    const serial = await snapshot();
    expect(serial).toBe(before + 1);
    const full = await feed('url-list');
    expect(full.body).toBe(renderFeed('url-list', { serial, entries: history.get(serial)! }).body);
    expect(full.body).toContain('big.example/0/p0?q=a\\b%22x%22\n');
    const inc = await feed('url-list', before);
    expect(inc.body.split('\n').filter((l) => l.startsWith('+'))).toHaveLength(6000);
  });
});
