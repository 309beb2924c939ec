import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UrlErrorCode } from './errors.js';
import {
  etagMatches,
  feedHead,
  feedLinesOf,
  fullFeedEtag,
  incrementalFromLines,
  rpzCnameTarget,
  rpzHostFits,
  rpzRecordsOf,
  nextSerial,
  planBlocklistChange,
  renderFeed,
  renderIncremental,
  type BlocklistChange,
  type BlocklistEntry,
  type BlocklistSnapshot,
  type RpzOptions,
} from './index.js';

const rpz: RpzOptions = { zoneName: 'rpz.mod.test' };

const entries: BlocklistEntry[] = [
  { id: 'o1', target: 'https://Shared-Host.example/gallery/img.jpg?id=7#x', dedicatedToAbuse: false },
  { id: 'o2', target: 'abuse-only.example', dedicatedToAbuse: true },
  { id: 'o3', target: 'http://Bücher-Abuse.example./any/path', dedicatedToAbuse: true },
  { id: 'o4', target: 'http://203.0.113.7/x', dedicatedToAbuse: false },
  { id: 'o5', target: 'http://198.51.100.9/', dedicatedToAbuse: true },
  { id: 'o6', target: 'not a url at all', dedicatedToAbuse: true },
  { id: 'o7', target: 'http://under_score.example/', dedicatedToAbuse: true },
  { id: 'o8', target: 'http://a$b.example/', dedicatedToAbuse: true },
];

describe('renderFeed', () => {
  const snapshot: BlocklistSnapshot = { serial: 42, entries };

  it('renders an RPZ with SOA, NS and NXDOMAIN records for dedicated hosts only', () => {
    const feed = renderFeed('rpz', snapshot, rpz);
    expect(feed.lines).toEqual([
      '*.abuse-only.example CNAME .',
      '*.under_score.example CNAME .',
      '*.xn--bcher-abuse-thb.example CNAME .',
      'abuse-only.example CNAME .',
      'under_score.example CNAME .',
      'xn--bcher-abuse-thb.example CNAME .',
    ]);
    expect(feed.body).toMatch(/^@ SOA localhost\. hostmaster\.localhost\. 42 3600 600 864000 60$/m);
    expect(feed.body).toMatch(/^@ NS localhost\.$/m);
    expect(feed.body).not.toContain('shared-host');
    expect(feed.skipped.map((skip) => skip.id).sort()).toEqual(['o5', 'o6', 'o8']);
    expect(feed.contentType).toMatch(/^text\/dns/);
  });

  it('points names at a walled garden when configured', () => {
    const feed = renderFeed('rpz', snapshot, {
      ...rpz,
      action: { type: 'walled-garden', host: 'Blocked.ISP.example' },
    });
    expect(feed.lines).toContain('abuse-only.example CNAME blocked.isp.example.');
    expect(feed.lines).toContain('*.abuse-only.example CNAME blocked.isp.example.');
  });

  it('never writes a name resolvers read as an IP or name-server trigger (rpz-ip, rpz-nsdname, ...)', () => {
    // Each would block far more than its one name: every name resolving to 10.0.0.1, every name served by
    // ns1.example, every client in 0.0.0.0/1, every name whose name server is in 2001:db8::/128.
    const triggers = [
      'http://32.1.0.0.10.rpz-ip/',
      'ns1.example.rpz-nsdname',
      'HTTP://1.0.0.0.0.RPZ-CLIENT-IP./x',
      '128.zz.db8.2001.rpz-nsip',
      'rpz-ip',
    ].map((target, i) => ({ id: `t${i}`, target, dedicatedToAbuse: true }));
    const named = { id: 'ok', target: 'rpz-ip.example', dedicatedToAbuse: true }; // only the last label counts
    const feed = renderFeed('rpz', { serial: 3, entries: [...triggers, named] }, rpz);
    expect(feed.lines).toEqual(['*.rpz-ip.example CNAME .', 'rpz-ip.example CNAME .']);
    expect(feed.skipped.map((skip) => skip.id)).toEqual(triggers.map((entry) => entry.id));
    expect(feedLinesOf(triggers[0]!)).toMatchObject({ rpzHost: null, hostLine: '32.1.0.0.10.rpz-ip' });
    // A proxy matches them as the names they are.
    expect(renderFeed('domain-list', { serial: 3, entries: triggers }).lines).toContain(
      'ns1.example.rpz-nsdname',
    );
  });

  it('never lists a public suffix host-level: a dedicated entry for one would block every name under it', () => {
    const suffixes = ['com', 'http://CO.UK./index.html', 'vn/any/page', 'localhost'].map((target, i) => ({
      id: `s${i}`,
      target,
      dedicatedToAbuse: true,
    }));
    const named = { id: 'ok', target: 'abuse.co.uk', dedicatedToAbuse: true };
    const all = { serial: 4, entries: [...suffixes, named] };
    const feed = renderFeed('rpz', all, rpz);
    expect(feed.lines).toEqual(['*.abuse.co.uk CNAME .', 'abuse.co.uk CNAME .']);
    expect(feed.skipped.map((skip) => skip.id)).toEqual(suffixes.map((entry) => entry.id));
    expect(renderFeed('domain-list', all).lines).toEqual(['abuse.co.uk']);
    expect(feedLinesOf(suffixes[0]!)).toMatchObject({ rpzHost: null, hostLine: null });
  });

  it('renders the URL list (URL-level entries) and the domain list (dedicated hosts)', () => {
    expect(renderFeed('url-list', snapshot).body).toBe(
      '203.0.113.7/x\nshared-host.example/gallery/img.jpg?id=7\n',
    );
    expect(renderFeed('domain-list', snapshot).lines).toEqual([
      '198.51.100.9',
      'a$b.example',
      'abuse-only.example',
      'under_score.example',
      'xn--bcher-abuse-thb.example',
    ]);
  });

  it('is deterministic and its ETag follows serial and content', () => {
    const a = renderFeed('rpz', snapshot, rpz);
    const shuffled = renderFeed('rpz', { serial: 42, entries: [...entries].reverse() }, rpz);
    expect(shuffled.body).toBe(a.body);
    expect(shuffled.etag).toBe(a.etag);
    expect(renderFeed('rpz', { serial: 43, entries }, rpz).etag).not.toBe(a.etag);
    expect(renderFeed('rpz', snapshot, { ...rpz, ttlSeconds: 60 }).etag).not.toBe(a.etag);
    expect(renderFeed('url-list', snapshot).etag).not.toBe(renderFeed('domain-list', snapshot).etag);
  });

  it('refuses bad zone options and serials with a typed error', () => {
    const code = expect.objectContaining({ code: UrlErrorCode.Feed }) as Error;
    expect(() => renderFeed('rpz', snapshot, { zoneName: 'bad zone' })).toThrow(code);
    expect(() => renderFeed('rpz', snapshot, { ...rpz, primaryNameServer: 'ns.example' })).toThrow(code);
    expect(() => renderFeed('rpz', snapshot)).toThrow(code);
    // Policy names, not hosts: `CNAME rpz-passthru.` would block nothing, `rpz-drop.` drop every answer.
    for (const host of ['RPZ-Passthru.', 'rpz-drop', 'rpz-tcp-only'])
      expect(() => renderFeed('rpz', snapshot, { ...rpz, action: { type: 'walled-garden', host } })).toThrow(
        code,
      );
    expect(() => renderFeed('url-list', { serial: 0, entries })).toThrow(code);
    expect(() => renderFeed('url-list', { serial: 2 ** 32, entries })).toThrow(code);
  });
});

describe('named-checkzone', () => {
  let hasChecker = true;
  try {
    execFileSync('named-checkzone', ['-v'], { stdio: 'pipe' });
  } catch {
    hasChecker = false;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mod-rpz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = (body: string): string => {
    const file = join(dir, 'zone.rpz');
    writeFileSync(file, body);
    return execFileSync('named-checkzone', ['-k', 'fail', '-i', 'local', rpz.zoneName, file], {
      encoding: 'utf8',
    });
  };

  it.skipIf(!hasChecker)('accepts the NXDOMAIN zone', () => {
    expect(check(renderFeed('rpz', { serial: 42, entries }, rpz).body)).toMatch(/loaded serial 42\nOK/);
  });

  it.skipIf(!hasChecker)('accepts the walled-garden zone and an empty zone', () => {
    const walled = { ...rpz, action: { type: 'walled-garden', host: 'blocked.isp.example' } } as const;
    expect(check(renderFeed('rpz', { serial: 7, entries }, walled).body)).toMatch(/loaded serial 7\nOK/);
    expect(check(renderFeed('rpz', { serial: 1, entries: [] }, rpz).body)).toMatch(/loaded serial 1\nOK/);
  });

  it.skipIf(!hasChecker)('would reject a broken zone (the check can fail)', () => {
    expect(() => check('@ SOA broken\n')).toThrow();
  });

  it.runIf(!hasChecker)(
    'named-checkzone is not installed (apt-get install bind9-utils): zone checks skipped',
    () => {
      expect(hasChecker).toBe(false);
    },
  );
});

describe('planBlocklistChange and renderIncremental', () => {
  const e = (id: string, target: string, dedicatedToAbuse = true): BlocklistEntry => ({
    id,
    target,
    dedicatedToAbuse,
  });

  function history(): { snapshots: BlocklistSnapshot[]; changes: BlocklistChange[] } {
    const snapshots: BlocklistSnapshot[] = [
      { serial: 1, entries: [e('a', 'a.example'), e('u', 'x.example/page', false)] },
    ];
    const changes: BlocklistChange[] = [];
    const steps: BlocklistEntry[][] = [
      [e('a', 'a.example'), e('u', 'x.example/page', false), e('b', 'b.example')], // 2: add b
      [e('b', 'b.example'), e('u', 'x.example/page', false), e('b2', 'b.example')], // 3: remove a, add b2 (same name as b)
      [e('b2', 'b.example'), e('u', 'x.example/other', false)], // 4: remove b (b2 keeps the name), change u
    ];
    for (const wanted of steps) {
      const planned = planBlocklistChange(snapshots.at(-1)!, wanted);
      if (planned === null) throw new Error('expected a change');
      snapshots.push(planned.snapshot);
      changes.push(planned.change);
    }
    return { snapshots, changes };
  }

  it('raises the serial on every change and not otherwise', () => {
    const { snapshots, changes } = history();
    expect(snapshots.map((snapshot) => snapshot.serial)).toEqual([1, 2, 3, 4]);
    expect(changes.map((change) => [change.fromSerial, change.toSerial])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(planBlocklistChange(snapshots[3]!, [...snapshots[3]!.entries].reverse())).toBeNull();
    expect(changes[2]!.removed.map((entry) => entry.id).sort()).toEqual(['b', 'u']);
    expect(changes[2]!.added.map((entry) => entry.id)).toEqual(['u']);
  });

  it('takes an explicit rising serial and refuses a falling one', () => {
    const base: BlocklistSnapshot = { serial: 2026112801, entries: [] };
    expect(planBlocklistChange(base, [e('a', 'a.example')], { serial: 2026112802 })?.snapshot.serial).toBe(
      2026112802,
    );
    expect(() => planBlocklistChange(base, [e('a', 'a.example')], { serial: 5 })).toThrow(/does not rise/);
    expect(() => planBlocklistChange(base, [e('a', 'a.example'), e('a', 'b.example')])).toThrow(/duplicate/);
    expect(() => nextSerial(0xffffffff)).toThrow(/exhausted/);
  });

  it('gives the net line changes since any published serial, matching the full renders', () => {
    const { snapshots, changes } = history();
    const current = snapshots.at(-1)!;
    for (const format of ['rpz', 'url-list', 'domain-list'] as const) {
      for (const since of snapshots.slice(0, -1)) {
        const result = renderIncremental(format, current, changes, since.serial, rpz);
        if (result.kind !== 'incremental') throw new Error(result.reason);
        const before = new Set(renderFeed(format, since, rpz).lines);
        for (const line of result.removed) before.delete(line);
        for (const line of result.added) before.add(line);
        expect([...before].sort()).toEqual(renderFeed(format, current, rpz).lines);
      }
    }
  });

  it('does not remove a name that another entry still needs', () => {
    const { snapshots, changes } = history();
    const result = renderIncremental('rpz', snapshots[3]!, changes, 2, rpz);
    expect(result).toMatchObject({
      kind: 'incremental',
      added: [],
      removed: ['*.a.example CNAME .', 'a.example CNAME .'],
      soa: '@ SOA localhost. hostmaster.localhost. 4 3600 600 864000 60',
    });
    expect(renderIncremental('url-list', snapshots[3]!, changes, 3)).toMatchObject({
      added: ['x.example/other'],
      removed: ['x.example/page'],
    });
  });

  it('answers an up-to-date client with no changes, and asks for a full feed when history is missing', () => {
    const { snapshots, changes } = history();
    const current = snapshots[3]!;
    expect(renderIncremental('domain-list', current, changes, 4)).toMatchObject({
      kind: 'incremental',
      added: [],
      removed: [],
    });
    expect(renderIncremental('domain-list', current, changes.slice(1), 1)).toMatchObject({
      kind: 'full-required',
    });
    expect(renderIncremental('domain-list', current, changes, 9)).toMatchObject({ kind: 'full-required' });
    const gappy: BlocklistSnapshot = { serial: 10, entries: [] };
    const jump: BlocklistChange = { fromSerial: 5, toSerial: 10, added: [], removed: [] };
    expect(renderIncremental('domain-list', gappy, [jump], 7)).toMatchObject({ kind: 'full-required' });
    expect(renderIncremental('domain-list', gappy, [jump], 5)).toMatchObject({ kind: 'incremental' });
  });

  it('gives incremental answers their own ETag', () => {
    const { snapshots, changes } = history();
    const a = renderIncremental('rpz', snapshots[3]!, changes, 1, rpz);
    const b = renderIncremental('rpz', snapshots[3]!, changes, 2, rpz);
    expect(a.kind === 'incremental' && b.kind === 'incremental' && a.etag !== b.etag).toBe(true);
  });
});

describe('etagMatches', () => {
  it('implements If-None-Match weak comparison', () => {
    expect(etagMatches('"rpz-1-abc"', '"rpz-1-abc"')).toBe(true);
    expect(etagMatches('W/"rpz-1-abc"', '"rpz-1-abc"')).toBe(true);
    expect(etagMatches('"x", "rpz-1-abc"', '"rpz-1-abc"')).toBe(true);
    expect(etagMatches('*', '"rpz-1-abc"')).toBe(true);
    expect(etagMatches('"rpz-2-abc"', '"rpz-1-abc"')).toBe(false);
    expect(etagMatches(undefined, '"rpz-1-abc"')).toBe(false);
  });
});

describe('rendering from stored per-entry lines', () => {
  /** What a store does: keep each entry's lines, then sort the distinct lines of the live entries. */
  function fromStore(
    format: 'rpz' | 'url-list' | 'domain-list',
    serial: number,
    list: readonly BlocklistEntry[],
  ) {
    const rendered = list.map((e) => feedLinesOf(e));
    let lines: string[];
    if (format === 'url-list') lines = rendered.flatMap((r) => (r.urlLine === null ? [] : [r.urlLine]));
    else if (format === 'domain-list')
      lines = rendered.flatMap((r) => (r.hostLine === null ? [] : [r.hostLine]));
    else
      lines = rendered.flatMap((r) =>
        r.rpzHost === null || !rpzHostFits(r.rpzHost, rpz)
          ? []
          : rpzRecordsOf(r.rpzHost, rpzCnameTarget(rpz)),
      );
    const sorted = [...new Set(lines)].sort();
    return feedHead(format, serial, rpz) + sorted.map((l) => `${l}\n`).join('');
  }

  it('gives the very bytes renderFeed gives, for every format', () => {
    const long = {
      id: 'o9',
      target: `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.example`,
      dedicatedToAbuse: true,
    };
    const all = [...entries, long, { ...entries[0]!, id: 'dup' }];
    for (const format of ['rpz', 'url-list', 'domain-list'] as const) {
      expect(fromStore(format, 7, all), format).toBe(
        renderFeed(format, { serial: 7, entries: all }, rpz).body,
      );
      expect(fromStore(format, 7, []), format).toBe(renderFeed(format, { serial: 7, entries: [] }, rpz).body);
    }
    expect(feedLinesOf(long).rpzHost).not.toBeNull();
    expect(rpzHostFits(feedLinesOf(long).rpzHost!, rpz)).toBe(false);
  });

  it('gives the incremental answer renderIncremental gives; full ETags follow serial, scope and options', () => {
    const before: BlocklistSnapshot = { serial: 5, entries: entries.slice(0, 4) };
    const plan = planBlocklistChange(before, entries.slice(2))!;
    for (const format of ['rpz', 'url-list', 'domain-list'] as const) {
      const expected = renderIncremental(format, plan.snapshot, [plan.change], 5, rpz);
      const linesAt = (list: readonly BlocklistEntry[]) =>
        new Set(renderFeed(format, { serial: 9, entries: list }, rpz).lines);
      const a = linesAt(before.entries);
      const b = linesAt(plan.snapshot.entries);
      const got = incrementalFromLines(
        format,
        5,
        plan.snapshot.serial,
        [...b].filter((l) => !a.has(l)),
        [...a].filter((l) => !b.has(l)),
        rpz,
      );
      expect(got).toEqual(expected);
    }
    const etag = fullFeedEtag('rpz', 3, 'isp-a', rpz);
    expect(fullFeedEtag('rpz', 3, 'isp-a', rpz)).toBe(etag);
    expect(fullFeedEtag('rpz', 4, 'isp-a', rpz)).not.toBe(etag);
    expect(fullFeedEtag('rpz', 3, 'isp-b', rpz)).not.toBe(etag);
    expect(
      fullFeedEtag('rpz', 3, 'isp-a', { ...rpz, action: { type: 'walled-garden', host: 'wg.example' } }),
    ).not.toBe(etag);
    expect(fullFeedEtag('url-list', 3, 'isp-a')).toMatch(/^"url-list-3-[0-9a-f]{20}"$/);
    expect(() => incrementalFromLines('url-list', 9, 3, [], [])).toThrow(/fromSerial/);
  });
});
