import { describe, expect, it } from 'vitest';
import { FEED_PAGE_LINES, streamFeedLines } from './feeds-lines.js';
import { refreshFeedState, type FeedRenderer } from './feeds-refresh.js';
import { upsertTenant } from './tenants.js';
import { db, testUrlList, useTestSchema } from './testing.test-helper.js';

const renderer: FeedRenderer = {
  version: 1,
  nextSerial: (s) => s + 1,
  linesOf: (e) => ({ urlLine: e.target, hostLine: null, rpzHost: null }),
};

useTestSchema({ 'isp-r': { kind: 'isp', subscribedToBlocking: true } });

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

const full = (serial: number) =>
  text(streamFeedLines(db.pool, { ispTenantId: 'isp-r', serial, column: 'url_line', head: '' }));

describe('refreshFeedState rebuilding the rows (a new rendering version)', () => {
  it('keeps the rows of the previous serial, which a full feed being served may still be reading', async () => {
    const bank = await testUrlList(db.pool, 'rebuild-list');
    await db.pool.query(
      `insert into url_list_entries (bank_id, kind, pattern, canonical_key)
       values ($1, 'url', 'a.example/1', 'a.example/1'), ($1, 'url', 'b.example/2', 'b.example/2')`,
      [bank.id],
    );
    const { serial } = await refreshFeedState(db.pool, 'isp-r', renderer);
    expect(await full(serial)).toBe('a.example/1\nb.example/2\n');
    // Another request rebuilds (say, an API with a new renderer) while this one answers at `serial`: the
    // answer is still the feed at `serial`, never an empty zone carrying its serial.
    const rebuilt = await refreshFeedState(db.pool, 'isp-r', { ...renderer, version: 2 });
    expect(rebuilt).toMatchObject({ serial: serial + 1, historyFrom: serial + 1 });
    expect(await full(serial)).toBe('a.example/1\nb.example/2\n');
    expect(await full(serial + 1)).toBe('a.example/1\nb.example/2\n');
  });
});

describe('refreshFeedState across a rolling deploy (two rendering versions at once)', () => {
  it('never re-renders downwards, and re-renders upwards only lines an older version wrote', async () => {
    await upsertTenant(db.pool, { id: 'isp-roll', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const bank = await testUrlList(db.pool, 'rolling-list');
    const add = (pattern: string) =>
      db.pool.query(
        `insert into url_list_entries (bank_id, kind, pattern, canonical_key) values ($1, 'url', $2, $2)`,
        [bank.id, pattern],
      );
    // Each version renders its lines its own way, so which version wrote a line shows in the feed.
    const render = (version: number): FeedRenderer => ({
      ...renderer,
      version,
      linesOf: (e) => ({ urlLine: `v${version} ${e.target}`, hostLine: null, rpzHost: null }),
    });
    const old = render(1);
    const next = render(2);
    // The lines of this list in entry order (the schema's other lists feed every ISP too).
    const feed = async (serial: number) =>
      (
        await text(
          streamFeedLines(db.pool, { ispTenantId: 'isp-roll', serial, column: 'url_line', head: '' }),
        )
      )
        .split('\n')
        .filter((line) => line.includes('roll.example'))
        .sort((a, b) => a.slice(3).localeCompare(b.slice(3)))
        .join('\n');
    await add('roll.example/1');
    const first = await refreshFeedState(db.pool, 'isp-roll', old);
    expect(await feed(first.serial)).toBe('v1 roll.example/1');

    // The new pod re-renders every line once.
    const upgraded = await refreshFeedState(db.pool, 'isp-roll', next);
    expect(upgraded).toMatchObject({ serial: first.serial + 1, historyFrom: first.serial + 1 });
    expect(await feed(upgraded.serial)).toBe('v2 roll.example/1');

    // The old pod, still serving, changes nothing while nothing changed: no serial, no history lost.
    expect(await refreshFeedState(db.pool, 'isp-roll', old)).toMatchObject({
      serial: upgraded.serial,
      historyFrom: upgraded.historyFrom,
      added: 0,
      removed: 0,
    });
    expect(await refreshFeedState(db.pool, 'isp-roll', next)).toMatchObject({
      serial: upgraded.serial,
      added: 0,
    });

    // A new entry reaching the old pod first: it adds its own line as a change, keeping the history.
    await add('roll.example/2');
    const changed = await refreshFeedState(db.pool, 'isp-roll', old);
    expect(changed).toMatchObject({
      serial: upgraded.serial + 1,
      historyFrom: upgraded.historyFrom,
      added: 1,
    });
    expect(await feed(changed.serial)).toBe('v2 roll.example/1\nv1 roll.example/2');
    // The new pod then re-renders once, since an older line is live; the old pod does not undo it.
    const healed = await refreshFeedState(db.pool, 'isp-roll', next);
    expect(healed.serial).toBe(changed.serial + 1);
    expect(await feed(healed.serial)).toBe('v2 roll.example/1\nv2 roll.example/2');
    expect(await refreshFeedState(db.pool, 'isp-roll', old)).toMatchObject({
      serial: healed.serial,
      added: 0,
    });
    expect(await refreshFeedState(db.pool, 'isp-roll', next)).toMatchObject({
      serial: healed.serial,
      added: 0,
    });
  });
});

describe('a full feed read page by page (FEED_PAGE_LINES at a time, as the reader takes them)', () => {
  it('orders lines longer than the order index holds (512 characters) in full, across pages', async () => {
    await upsertTenant(db.pool, { id: 'isp-long', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const bank = await testUrlList(db.pool, 'long-lines');
    // The same first 600 characters, then a number: the index's key alone does not order them.
    await db.pool.query(
      `insert into url_list_entries (bank_id, kind, pattern, canonical_key)
       select $1, 'url', p, p from (select 'long.example/' || repeat('x', 600) || '/' || (3 * $2::int - i) as p
                                     from generate_series(1, 2 * $2::int + 10) i) x`,
      [bank.id, FEED_PAGE_LINES],
    );
    const { serial } = await refreshFeedState(db.pool, 'isp-long', renderer);
    const lines = (
      await text(streamFeedLines(db.pool, { ispTenantId: 'isp-long', serial, column: 'url_line', head: '' }))
    )
      .split('\n')
      .filter((line) => line.startsWith('long.example/'));
    expect(lines).toHaveLength(2 * FEED_PAGE_LINES + 10);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines).toEqual([...lines].sort());
  });

  it('is whole, and ends in an error rather than lines missing when a refresh prunes rows it still reads', async () => {
    await upsertTenant(db.pool, { id: 'isp-page', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const bank = await testUrlList(db.pool, 'paged-list');
    // Every line twice (in two lists): pages end in the middle of equal lines, which the feed lists once.
    for (const list of [bank, await testUrlList(db.pool, 'paged-list-again')])
      await db.pool.query(
        `insert into url_list_entries (bank_id, kind, pattern, canonical_key)
         select $1, 'url', p, p from (select 'page.example/' || lpad(i::text, 5, '0') as p
                                       from generate_series(1, 2 * $2::int + 500) i) x`,
        [list.id, FEED_PAGE_LINES],
      );
    const { serial } = await refreshFeedState(db.pool, 'isp-page', renderer);
    const read = (s: number) =>
      streamFeedLines(db.pool, { ispTenantId: 'isp-page', serial: s, column: 'url_line', head: '# head\n' });
    const whole = (await text(read(serial))).split('\n');
    expect(whole[0]).toBe('# head');
    const paged = whole.filter((line) => line.startsWith('page.example/'));
    expect(paged).toHaveLength(2 * FEED_PAGE_LINES + 500);
    expect(paged).toEqual([...paged].sort());

    // The RPZ of the same entries: every `*.name` record first, then every name, each in byte order, over pages.
    await upsertTenant(db.pool, { id: 'isp-page-rpz', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const hosts = await refreshFeedState(db.pool, 'isp-page-rpz', {
      ...renderer,
      linesOf: (e) => ({
        urlLine: null,
        hostLine: null,
        rpzHost: `h${e.target.replace(/\W/g, '-')}.example`,
      }),
    });
    const rpz = (
      await text(
        streamFeedLines(db.pool, {
          ispTenantId: 'isp-page-rpz',
          serial: hosts.serial,
          column: 'rpz_host',
          head: '',
          rpz: { zoneLength: 9, cnameTarget: '.' },
        }),
      )
    ).split('\n');
    const names = [...new Set(rpz.filter((l) => l.startsWith('h')).map((l) => l.split(' ')[0]!))].sort();
    expect(names.filter((n) => n.startsWith('hpage-example-'))).toHaveLength(2 * FEED_PAGE_LINES + 500);
    expect(rpz).toEqual([...names.map((n) => `*.${n} CNAME .`), ...names.map((n) => `${n} CNAME .`), '']);

    // A slow reader: the head and a page are in, then the feed is rebuilt and changes once more, which prunes
    // the rows live at `serial` (removed by the rebuild).
    const slow = read(serial)[Symbol.asyncIterator]();
    await slow.next();
    await slow.next();
    const rebuilt = await refreshFeedState(db.pool, 'isp-page', { ...renderer, version: 2 });
    await db.pool.query(
      `insert into url_list_entries (bank_id, kind, pattern, canonical_key) values ($1, 'url', 'z.example/', 'z.example/')`,
      [bank.id],
    );
    expect(await refreshFeedState(db.pool, 'isp-page', { ...renderer, version: 2 })).toMatchObject({
      serial: rebuilt.serial + 1,
    });
    const rest = (async () => {
      for (let r = await slow.next(); r.done !== true; r = await slow.next());
    })();
    await expect(rest).rejects.toThrow(`the feed moved past serial ${serial} while it was read`);
  });
});
