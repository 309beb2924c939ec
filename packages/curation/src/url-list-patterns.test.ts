import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { listWantedBlocklist } from '@mod/db/feeds';
import { addUrlListEntries, listUrlListEntries } from '@mod/db/url-lists';
import { CurationErrorCode } from './index.js';
import {
  addPatterns,
  changes,
  db,
  describeUrlListCuration,
  lastOutboxId,
  newList,
  removePatterns,
  topic,
} from './url-lists.test-helper.js';

describeUrlListCuration(() => {
  it('adds entries (normalised, deduplicated, per-entry errors), announces and audits each', async () => {
    const list = await newList('hotline-urls');
    const mark = await lastOutboxId();
    const report = await addPatterns(list.id, [
      { kind: 'url', pattern: 'http://Abuse.example/gallery/./1.html', category: 'A' },
      { kind: 'url', pattern: 'ftp://abuse.example/2' },
      { kind: 'domain', pattern: 'dedicated.example', dedicatedToAbuse: true },
      { kind: 'url', pattern: 'https://abuse.example/gallery/1.html' }, // same key as the first
      { kind: 'host', pattern: 'shared-host.example' },
    ]);
    expect(report.errors).toEqual([
      { index: 1, code: 'MOD_ERR_URL_SCHEME', message: expect.stringContaining('ftp') as string },
    ]);
    expect(report.added.map((e) => [e.kind, e.canonicalKey])).toEqual([
      ['url', 'abuse.example/gallery/1.html'],
      ['domain', 'dedicated.example'],
      ['host', 'shared-host.example'],
    ]);
    expect(report.unchanged).toEqual([]);

    const announced = await changes(mark);
    expect(announced.map((c) => c.change.type)).toEqual([
      'url-entry-added',
      'url-entry-added',
      'url-entry-added',
    ]);
    expect(announced[0]).toMatchObject({
      key: `url-entry:${report.added[0]!.id}`,
      change: {
        entry: {
          entryId: report.added[0]!.id,
          bankId: list.id,
          kind: 'url',
          dedicatedToAbuse: false,
          category: 'A',
        },
      },
    });
    const audit = await listAudit(db.pool, { subjectId: report.added[0]!.id });
    expect(audit.map((a) => [a.action, a.actor.id, a.role])).toEqual([
      ['url_list.entry_added', 'curator-key-1', 'curator'],
    ]);
    // The address stays out of the log; its digest identifies it.
    expect(audit[0]?.canonical).not.toContain('abuse.example');
    expect(audit[0]?.evidence).toMatchObject({
      keySha256: createHash('sha256').update('abuse.example/gallery/1.html').digest('hex'),
    });
    const docs = await db.pool.query<{ document: string }>(
      'select document from audit_evidence where seq = $1',
      [audit[0]?.seq],
    );
    expect(docs.rows.map((r) => r.document).join(' ')).not.toContain('abuse.example');

    // Again: nothing new, nothing announced.
    const mark2 = await lastOutboxId();
    const again = await addPatterns(list.id, [{ kind: 'url', pattern: 'abuse.example/gallery/1.html' }]);
    expect(again.added).toEqual([]);
    expect(again.unchanged.map((e) => e.id)).toEqual([report.added[0]!.id]);
    expect(await changes(mark2)).toEqual([]);

    // Strict: one bad entry, nothing added.
    const strict = await addPatterns(
      list.id,
      [
        { kind: 'url', pattern: 'new.example/x' },
        { kind: 'url', pattern: '' },
      ],
      { strict: true },
    );
    expect(strict.added).toEqual([]);
    expect(strict.errors.map((e) => e.index)).toEqual([1]);
    expect((await listUrlListEntries(db.pool, list.id, { limit: 100 })).length).toBe(3);

    // Feeds see a URL entry and a dedicated domain; a non-dedicated host stays out (IWF practice).
    const wanted = await listWantedBlocklist(db.pool, 'isp-1');
    expect(wanted.map((w) => w.target).sort()).toEqual([
      'dedicated.example',
      'http://Abuse.example/gallery/./1.html',
    ]);
  });

  it('removes by id or pattern (soft, history kept), announces and audits with the reason', async () => {
    const list = await newList('to-remove');
    const { added } = await addPatterns(list.id, [
      { kind: 'url', pattern: 'a.example/1' },
      { kind: 'prefix', pattern: 'a.example/dir/' },
      { kind: 'url', pattern: 'a.example/3' },
    ]);
    const other = await newList('other-list');
    const { added: foreign } = await addPatterns(other.id, [{ kind: 'url', pattern: 'b.example/1' }]);
    const mark = await lastOutboxId();
    const report = await removePatterns(
      list.id,
      [
        { id: added[0]!.id },
        { kind: 'prefix', pattern: 'HTTP://A.EXAMPLE/dir/' },
        { kind: 'url', pattern: 'a.example/never-listed' },
        { id: foreign[0]!.id }, // another list's entry: not found here
        { id: 'abc' },
        { kind: 'url', pattern: 'gopher://a.example/' },
      ],
      'taken down at source',
    );
    expect(report.removed.map((e) => e.id).sort()).toEqual([added[0]!.id, added[1]!.id].sort());
    expect(report.notFound).toEqual([2, 3]);
    expect(report.errors.map((e) => [e.index, e.code])).toEqual([
      [4, CurationErrorCode.UrlEntryInvalid],
      [5, 'MOD_ERR_URL_SCHEME'],
    ]);
    const announced = await changes(mark);
    expect(announced.map((c) => c.change)).toEqual(
      [added[0]!.id, added[1]!.id].map((entryId) => ({
        type: 'url-entry-removed',
        entryId,
        bankId: list.id,
      })),
    );
    const live = await listUrlListEntries(db.pool, list.id, { limit: 10 });
    expect(live.map((e) => e.id)).toEqual([added[2]!.id]);
    const all = await listUrlListEntries(db.pool, list.id, { limit: 10, includeRemoved: true });
    expect(all.filter((e) => e.removedAt !== null)).toHaveLength(2);
    const audit = await listAudit(db.pool, { subjectId: added[1]!.id });
    expect(audit.map((a) => [a.action, a.reason])).toEqual([
      ['url_list.entry_added', null],
      ['url_list.entry_removed', 'taken down at source'],
    ]);
    // Removing again: nothing to remove.
    const again = await removePatterns(list.id, [{ id: added[0]!.id }], 'again');
    expect(again).toEqual({ removed: [], notFound: [0], errors: [] });
  });

  it('finds entries keyed before escapes such as %7C and %27 were decoded, under the key the index matches', async () => {
    const list = await newList('stored-keys');
    // As stored before FEED_RENDER_VERSION 4: the escapes were kept in the key (stored rows never change).
    const { added } = await addUrlListEntries(
      db.pool,
      list.id,
      [
        { kind: 'url', pattern: 'a.example/it%27s%7Chere', canonicalKey: 'a.example/it%27s%7Chere' },
        { kind: 'prefix', pattern: 'a.example/p%21d', canonicalKey: 'a.example/p%21d' },
      ],
      topic,
    );
    const again = await addPatterns(list.id, [{ kind: 'url', pattern: "http://a.example/it's|here" }]);
    expect(again.added).toEqual([]);
    expect(again.unchanged.map((e) => [e.id, e.canonicalKey])).toEqual([
      [added[0]!.id, 'a.example/it%27s%7Chere'],
    ]);
    const report = await removePatterns(list.id, [{ kind: 'prefix', pattern: 'a.example/p!d' }], 'gone');
    expect(report.removed.map((e) => e.id)).toEqual([added[1]!.id]);
  });
});
