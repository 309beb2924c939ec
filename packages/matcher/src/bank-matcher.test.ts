import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BankMatcher } from './bank-matcher.js';
import type { BankChange, BankConfig, BankEntry } from './bank-model.js';
import { MatcherErrorCode } from './errors.js';
import { expectCode } from './matcher-error.test-helper.js';

const PDQ = 'f'.repeat(16) + '0'.repeat(16) + 'a5'.repeat(16);

/** PDQ with the low `d` bits of the last word flipped (d <= 32). */
function pdqAt(d: number): string {
  const last = parseInt(PDQ.slice(56), 16);
  const flipped = (last ^ (d === 32 ? 0xffffffff : (1 << d) - 1)) >>> 0;
  return PDQ.slice(0, 56) + flipped.toString(16).padStart(8, '0');
}

function bank(bankId: string, extra: Partial<BankConfig> = {}): BankChange {
  return {
    type: 'bank-upserted',
    bank: { bankId, enabled: true, negative: false, thresholds: {}, ...extra },
  };
}

function entry(
  bankId: string,
  entryId: string,
  signal: BankEntry['signal'],
  value: string,
  quality?: number,
): BankChange {
  return {
    type: 'entry-added',
    entry: { bankId, entryId, signal, value, ...(quality === undefined ? {} : { quality }) },
  };
}

const good = { hash: PDQ, quality: 90 };

describe('BankMatcher', () => {
  it('matches PDQ within the default radius 31, reports distance, and stops at the boundary', () => {
    const m = new BankMatcher();
    m.applyChange(bank('iwf'));
    m.applyChange(entry('iwf', 'e31', 'pdq', pdqAt(31)));
    m.applyChange(entry('iwf', 'e32', 'pdq', pdqAt(32)));
    expect(m.match({ pdq: good })).toEqual({
      hits: [{ bankId: 'iwf', entryId: 'e31', signal: 'pdq', distance: 31, via: 'original' }],
      negativeHits: [],
    });
  });

  it('applies per-bank thresholds, skips disabled banks and reports negative banks apart', () => {
    const m = new BankMatcher();
    m.applyChange(bank('strict', { thresholds: { pdq: 4 } }));
    m.applyChange(bank('benign', { negative: true }));
    m.applyChange(bank('off', { enabled: false }));
    for (const b of ['strict', 'benign', 'off']) {
      m.applyChange(entry(b, `${b}-5`, 'pdq', pdqAt(5)));
      m.applyChange(entry(b, `${b}-2`, 'pdq', pdqAt(2)));
    }
    const r = m.match({ pdq: good });
    expect(r.hits.map((h) => h.entryId)).toEqual(['strict-2']);
    expect(r.negativeHits.map((h) => `${h.entryId}@${h.distance}`)).toEqual(['benign-2@2', 'benign-5@5']);
    m.applyChange(bank('off', { enabled: true }));
    expect(m.match({ pdq: good }).hits.map((h) => h.entryId)).toEqual(['off-2', 'strict-2', 'off-5']);
    m.applyChange(bank('strict', { enabled: false }));
    expect(m.match({ pdq: good }).hits.map((h) => h.entryId)).toEqual(['off-2', 'off-5']);
  });

  it('does not match PDQ queries below the quality floor unless configured', () => {
    const m = new BankMatcher();
    m.applyChange(bank('b'));
    m.applyChange(entry('b', 'e', 'pdq', PDQ));
    expect(m.match({ pdq: { hash: PDQ, quality: 49 } }).hits).toEqual([]);
    expect(m.match({ pdq: { hash: PDQ, quality: 50 } }).hits).toHaveLength(1);
    expect(m.match({ pdq: { hash: PDQ, quality: 10 } }, { minPdqQuality: 0 }).hits).toHaveLength(1);
    expect(new BankMatcher({ minPdqQuality: 95 }).match({ pdq: good }).hits).toEqual([]);
  });

  it('reports the best distance per entry and which variant found it', () => {
    const m = new BankMatcher();
    m.applyChange(bank('b'));
    m.applyChange(entry('b', 'rotated', 'pdq', pdqAt(1)));
    m.applyChange(entry('b', 'trim', 'pdq', '0'.repeat(64)));
    const dihedral = [PDQ, pdqAt(3), pdqAt(1), PDQ];
    const r = m.match({
      pdq: { hash: pdqAt(9), quality: 80 },
      pdqDihedral: dihedral,
      pdqTrimmed: { hash: '0'.repeat(63) + '1', quality: 70 },
    });
    expect(r.hits).toEqual([
      { bankId: 'b', entryId: 'rotated', signal: 'pdq', distance: 0, via: 'dihedral-2' },
      { bankId: 'b', entryId: 'trim', signal: 'pdq', distance: 1, via: 'trimmed' },
    ]);
    // Dihedral variants share the original's quality: a poor original suppresses them too.
    expect(m.match({ pdq: { hash: pdqAt(9), quality: 20 }, pdqDihedral: dihedral }).hits).toEqual([]);
  });

  it('matches exact hashes and blockhash with its own radius', () => {
    const m = new BankMatcher();
    m.applyChange(bank('b', { thresholds: { blockhash: 3 } }));
    const md5 = createHash('md5').update('x').digest('hex');
    const sha1 = createHash('sha1').update('x').digest('hex');
    const sha256 = createHash('sha256').update('x').digest('hex');
    m.applyChange(entry('b', 'm', 'md5', md5.toUpperCase()));
    m.applyChange(entry('b', 's1', 'sha1', sha1));
    m.applyChange(entry('b', 's2', 'sha256', sha256));
    m.applyChange(entry('b', 'bh', 'blockhash', pdqAt(3)));
    m.applyChange(entry('b', 'bh-far', 'blockhash', pdqAt(4)));
    const r = m.match({ md5, sha1, sha256, blockhash: PDQ });
    expect(r.hits.map((h) => `${h.entryId}:${h.signal}:${h.distance}`)).toEqual([
      'm:md5:0',
      's1:sha1:0',
      's2:sha256:0',
      'bh:blockhash:3',
    ]);
  });

  it('is idempotent, updates changed entries, and removes entries and banks', () => {
    const m = new BankMatcher();
    m.applyChange(bank('b'));
    const add = entry('b', 'e', 'pdq', PDQ, 80);
    m.applyChange(add);
    m.applyChange(add);
    expect(m.stats().entries.pdq).toBe(1);
    expect(m.entry('b', 'e')).toEqual({ bankId: 'b', entryId: 'e', signal: 'pdq', value: PDQ, quality: 80 });
    m.applyChange(entry('b', 'e', 'md5', 'a'.repeat(32)));
    expect(m.stats().entries).toMatchObject({ pdq: 0, md5: 1 });
    expect(m.match({ pdq: good }).hits).toEqual([]);
    m.applyChange({ type: 'entry-removed', bankId: 'b', entryId: 'e' });
    m.applyChange({ type: 'entry-removed', bankId: 'b', entryId: 'e' });
    expect(m.match({ md5: 'a'.repeat(32) }).hits).toEqual([]);
    m.applyChange(entry('b', 'x', 'pdq', PDQ));
    m.applyChange({ type: 'bank-removed', bankId: 'b' });
    m.applyChange({ type: 'bank-removed', bankId: 'b' });
    expect(m.stats()).toEqual({ banks: 0, entries: { pdq: 0, blockhash: 0, md5: 0, sha1: 0, sha256: 0 } });
  });

  it('does not match entries of a bank whose config has not arrived yet', () => {
    const m = new BankMatcher();
    m.applyChange(entry('late', 'e', 'pdq', PDQ));
    expect(m.match({ pdq: good }).hits).toEqual([]);
    m.applyChange(bank('late'));
    expect(m.match({ pdq: good }).hits).toHaveLength(1);
  });

  it('round-trips a snapshot with banks, entries and settings', async () => {
    const m = new BankMatcher({ minPdqQuality: 60 });
    m.applyChange(bank('a', { thresholds: { pdq: 10 } }));
    m.applyChange(bank('neg', { negative: true }));
    m.applyChange(entry('pending', 'p', 'pdq', PDQ));
    for (let d = 0; d < 20; d++) m.applyChange(entry(d % 2 ? 'a' : 'neg', `e${d}`, 'pdq', pdqAt(d), d));
    m.applyChange({ type: 'entry-removed', bankId: 'a', entryId: 'e3' });
    m.applyChange(entry('a', 'sha', 'sha256', 'c'.repeat(64)));
    const copy = await BankMatcher.fromSnapshot(await m.snapshot());
    const q = { pdq: { hash: PDQ, quality: 70 }, sha256: 'c'.repeat(64) };
    expect(copy.match(q)).toEqual(m.match(q));
    expect(copy.match({ pdq: { hash: PDQ, quality: 55 } }).hits).toEqual([]);
    expect(copy.stats()).toEqual(m.stats());
    expect(copy.entry('a', 'e5')).toEqual(m.entry('a', 'e5'));
    const good = await m.snapshot();
    const bad = good.slice();
    bad[40] = (bad[40] ?? 0) ^ 0x10;
    const future = good.slice();
    future[8] = 99;
    const older = good.slice();
    older[8] = 2; // version 2: tables included, locator rebuilt on load; not read any more
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    for (const [bytes, code] of [
      [bad, MatcherErrorCode.CorruptSnapshot],
      [good.subarray(0, good.length - 1), MatcherErrorCode.CorruptSnapshot],
      [good.subarray(0, 12), MatcherErrorCode.CorruptSnapshot],
      [longer, MatcherErrorCode.CorruptSnapshot],
      [future, MatcherErrorCode.SnapshotVersion],
      [older, MatcherErrorCode.SnapshotVersion],
    ] as const) {
      await expect(BankMatcher.fromSnapshot(bytes)).rejects.toMatchObject({ code });
    }
  });

  it('streams a snapshot through small parts and keeps numeric and named ids, removals and slots', async () => {
    const m = new BankMatcher({ pdqChunks: 10 });
    m.applyChange(bank('a'));
    m.applyChange(bank('b'));
    for (let d = 0; d < 40; d++)
      m.applyChange(entry(d % 2 ? 'a' : 'b', String(1000 + d), 'pdq', pdqAt(d % 30)));
    m.applyChange(entry('a', 'named-1', 'pdq', pdqAt(3)));
    m.applyChange(entry('b', '007', 'md5', 'd'.repeat(32)));
    for (const id of ['1001', '1011', '1021'])
      m.applyChange({ type: 'entry-removed', bankId: 'a', entryId: id });
    m.applyChange(entry('a', '1003', 'pdq', pdqAt(29))); // replaces 1003's value
    const parts: Uint8Array[] = [];
    await m.writeSnapshot((p) => {
      for (let i = 0; i < p.length; i += 7) parts.push(p.slice(i, i + 7));
    });
    let k = 0;
    let pos = 0;
    const copy = await BankMatcher.readSnapshot((target) => {
      let filled = 0;
      while (filled < target.length) {
        const part = parts[k] as Uint8Array;
        const n = Math.min(part.length - pos, target.length - filled);
        target.set(part.subarray(pos, pos + n), filled);
        filled += n;
        pos += n;
        if (pos === part.length) {
          k++;
          pos = 0;
        }
      }
    });
    expect(k).toBe(parts.length);
    for (let d = 0; d < 30; d++)
      expect(copy.match({ pdq: { hash: pdqAt(d), quality: 90 } })).toEqual(
        m.match({ pdq: { hash: pdqAt(d), quality: 90 } }),
      );
    expect(copy.entry('a', '1001')).toBeUndefined();
    expect(copy.entry('a', '1003')?.value).toBe(pdqAt(29));
    expect(copy.entry('a', 'named-1')?.value).toBe(pdqAt(3));
    expect(copy.entry('b', '007')?.signal).toBe('md5');
    expect(copy.stats()).toEqual(m.stats());
    // The copy keeps working: adds reuse freed slots, a bank removal takes all its entries.
    copy.applyChange(entry('a', '5000', 'pdq', pdqAt(1)));
    expect(copy.entry('a', '5000')?.value).toBe(pdqAt(1));
    copy.applyChange({ type: 'bank-removed', bankId: 'a' });
    expect(copy.entry('a', '5000')).toBeUndefined();
    expect(copy.entry('a', 'named-1')).toBeUndefined();
    expect(copy.stats().entries.pdq).toBe(20);
    expect(copy.entry('b', '1000')?.value).toBe(pdqAt(0));
  });

  it('restores removed banks as gaps (indices kept) and keeps adding banks and entries after a restore', async () => {
    const m = new BankMatcher();
    for (const b of ['a', 'b', 'c']) m.applyChange(bank(b));
    for (let d = 0; d < 30; d++)
      m.applyChange(entry(['a', 'b', 'c'][d % 3] as string, `e${d}`, 'pdq', pdqAt(d)));
    m.applyChange(entry('b', 'sha', 'sha1', 'e'.repeat(40)));
    m.applyChange({ type: 'bank-removed', bankId: 'a' });
    const copy = await BankMatcher.fromSnapshot(await m.snapshot());
    const q = { pdq: { hash: PDQ, quality: 90 }, sha1: 'e'.repeat(40) };
    expect(copy.match(q)).toEqual(m.match(q));
    expect(copy.match(q).hits).toHaveLength(21);
    expect(copy.entry('a', 'e0')).toBeUndefined();
    expect(copy.entry('b', 'sha')?.signal).toBe('sha1');
    for (const x of [m, copy]) {
      x.applyChange(bank('d'));
      x.applyChange(entry('d', 'new', 'pdq', pdqAt(5)));
      x.applyChange(entry('a', 'back', 'pdq', pdqAt(6)));
      x.applyChange(bank('a'));
      x.applyChange({ type: 'entry-removed', bankId: 'b', entryId: 'e1' });
    }
    expect(copy.match(q)).toEqual(m.match(q));
    expect(copy.stats()).toEqual(m.stats());
    expect(await copy.snapshot()).toEqual(await m.snapshot());
  });

  it('refuses a snapshot whose checksum is right but whose locator names no entry (typed error)', async () => {
    const m = new BankMatcher();
    m.applyChange(bank('a'));
    for (let d = 0; d < 10; d++) m.applyChange(entry('a', `e${d}`, 'pdq', pdqAt(d)));
    const good = await m.snapshot();
    // The locator table is the last array (1024 int32 entries here) before the CRC: point an entry at slot 999.
    const table = new Int32Array(good.buffer.slice(good.length - 4 - 4096, good.length - 4));
    const at = table.findIndex((v) => v !== 0);
    expect(at).toBeGreaterThanOrEqual(0);
    const bad = good.slice();
    new DataView(bad.buffer).setInt32(bad.length - 4 - 4096 + at * 4, 8 * 999 + 1, true);
    new DataView(bad.buffer).setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
    await expect(BankMatcher.fromSnapshot(bad)).rejects.toMatchObject({
      code: MatcherErrorCode.CorruptSnapshot,
    });
  });

  it('finds every entry after many adds and removes (ids as numbers and as strings, one bank of many)', () => {
    const m = new BankMatcher();
    m.applyChange(bank('x'));
    const live = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      const id = i % 3 === 0 ? `id-${i}` : String(i * 7919);
      const hex = (i.toString(16).padStart(8, '0') + 'ab'.repeat(28)).slice(0, 64);
      m.applyChange(entry('x', id, 'sha256', hex));
      live.set(id, hex);
      if (i % 5 === 4) {
        const gone = [...live.keys()][Math.floor(live.size / 2)] as string;
        m.applyChange({ type: 'entry-removed', bankId: 'x', entryId: gone });
        live.delete(gone);
      }
    }
    expect(m.stats().entries.sha256).toBe(live.size);
    for (const [id, hex] of live) expect(m.entry('x', id)?.value).toBe(hex);
    expect(m.entry('x', 'id-1')).toBeUndefined();
  });

  it('rejects malformed changes and queries with typed errors', () => {
    const m = new BankMatcher();
    const bad: unknown[] = [
      null,
      { type: 'nope' },
      { type: 'entry-added', entry: { bankId: 'b', entryId: 'e', signal: 'phash', value: PDQ } },
      { type: 'entry-added', entry: { bankId: '', entryId: 'e', signal: 'pdq', value: PDQ } },
      { type: 'entry-added', entry: { bankId: 'b', entryId: 'e', signal: 'pdq', value: PDQ, quality: 101 } },
      { type: 'bank-upserted', bank: { bankId: 'b', enabled: 'yes', negative: false, thresholds: {} } },
      {
        type: 'bank-upserted',
        bank: { bankId: 'b', enabled: true, negative: false, thresholds: { pdq: -1 } },
      },
    ];
    for (const c of bad) {
      expectCode(() => m.applyChange(c as BankChange), MatcherErrorCode.BadChange);
    }
    expectCode(() => m.applyChange(entry('b', 'e', 'md5', 'abc')), MatcherErrorCode.BadHash);
    expectCode(() => m.match({ pdq: { hash: 'xyz', quality: 99 } }), MatcherErrorCode.BadHash);
    expectCode(() => m.match({ md5: 'q'.repeat(32) }), MatcherErrorCode.BadHash);
    expect(m.stats().entries.md5).toBe(0);
  });
});
