import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileReport } from './domains/reports.js';
import { findUrlListEntriesByKey } from './domains/banks.js';
import { addUrlListEntries, findLiveUrlListEntries, importUrlListEntries } from './domains/url-lists.js';
import { withTransaction } from './index.js';
import { db, testReport, testUrlList, useTestSchema } from './testing.test-helper.js';

// A URL of a couple of thousand characters in a non-Latin script is several times longer as a canonical key:
// every character percent-encoded (`ả` is `%E1%BA%A3`). A btree entry holds at most 2704 bytes (after
// compression: the path here is random, as real text compresses little better).
const PATH = randomBytes(2400).toString('hex').replace(/(..)/g, '%$1').toUpperCase();
const longKey = (tag: string) => `https://tin.example/${tag}/${PATH}`;
useTestSchema({ 'hotline-1': 'hotline' });

describe('keys longer than a btree entry', () => {
  it("fold a citizen's report of a long URL into its open subject, as any other", async () => {
    const url = { href: longKey('report'), key: longKey('report') };
    const file = () => fileReport(db.pool, testReport({ channel: 'web', urls: [url] }));
    const first = await file();
    const second = await file();
    expect(first.subjects.map((s) => s.created)).toEqual([true]);
    expect(second.subjects.map((s) => [s.id, s.created])).toEqual([[first.subjects[0]?.id, false]]);
  });

  it('list a long URL on a URL list, added one by one or imported, and find it by its key', async () => {
    const bank = await testUrlList(db.pool, 'long-urls');
    const entry = (tag: string) => ({
      kind: 'url' as const,
      pattern: longKey(tag),
      canonicalKey: longKey(tag),
    });
    const added = await withTransaction(db.pool, (c) =>
      addUrlListEntries(c, bank.id, [entry('one'), entry('one')], 'changes'),
    );
    expect([added.added.length, added.unchanged]).toEqual([1, 1]);
    async function* staged() {
      for (const [i, tag] of ['one', 'two'].entries())
        yield {
          ...entry(tag),
          dedicatedToAbuse: false,
          block: true,
          category: null,
          lineNumber: i + 1,
          note: null,
          provenance: null,
        };
    }
    const diff = await importUrlListEntries(db.pool, staged(), {
      bankId: bank.id,
      mode: 'replace',
      changesTopic: 'changes',
    });
    expect(diff).toMatchObject({ added: 1, removed: 0 });
    const found = await findUrlListEntriesByKey(db.pool, [{ kind: 'url', key: longKey('two') }], 10);
    expect(found.map((f) => f.value)).toEqual([longKey('two')]);
    const live = await findLiveUrlListEntries(db.pool, bank.id, {
      keys: [{ kind: 'url', canonicalKey: longKey('one') }],
    });
    expect(live.map((e) => e.pattern)).toEqual([longKey('one')]);
  });
});
