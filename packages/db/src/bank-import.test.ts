import { describe, expect, it } from 'vitest';
import type { SignalType } from '@mod/contracts';
import { importBankEntries, insertBank, type ImportOptions, type StagedEntry } from './domains/banks.js';
import { db, useTestSchema } from './testing.test-helper.js';

useTestSchema();

const topic = 'test.bank-changes';
const hex = (byte: number, len: number): string =>
  byte
    .toString(16)
    .padStart(2, '0')
    .repeat(len / 2);
const A = hex(0xa1, 64);
const B = hex(0xb2, 64);
const C = hex(0xc3, 32);
const D = hex(0xd4, 64);

async function newBank(name: string): Promise<string> {
  const { bank } = await insertBank(db.pool, {
    name,
    source: 'test',
    signalTypes: ['pdq', 'sha256', 'md5'],
    actionPolicy: 'review',
  });
  return bank.id;
}

async function* batches(...lists: StagedEntry[][]): AsyncGenerator<StagedEntry[]> {
  for (const list of lists) {
    await Promise.resolve();
    yield list;
  }
}

const entry = (lineNumber: number, signal: SignalType, value: string, quality?: number): StagedEntry => ({
  signal,
  value,
  lineNumber,
  ...(quality === undefined ? {} : { quality }),
});

async function live(bankId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ v: string }>(
    `select signal || ':' || value || ':' || coalesce(quality::text, '-') as v from bank_entries
     where bank_id = $1 and removed_at is null order by 1`,
    [bankId],
  );
  return rows.map((r) => r.v);
}

/** Imports, recording what the import reported and when, in order. */
async function run(
  bankId: string,
  lists: StagedEntry[][],
  more: Partial<ImportOptions> = {},
): Promise<{ diff: Awaited<ReturnType<typeof importBankEntries>>; events: string[] }> {
  const events: string[] = [];
  const diff = await importBankEntries(db.pool, batches(...lists), {
    bankId,
    mode: 'replace',
    changesTopic: topic,
    onDuplicate: (line, first) => events.push(`${line} repeats ${first}`),
    beforeApply: () => void events.push('apply'),
    ...more,
  });
  return { diff, events };
}

// The list the first tests import, in two batches: line 3 has A's hex under another signal (not a repeat);
// line 11 repeats line 8 in capitals; lines 7, 9 and 12 repeat lines 2, 2 and 5.
const list: StagedEntry[][] = [
  [entry(2, 'pdq', A, 90), entry(3, 'sha256', A), entry(5, 'pdq', B, 70), entry(7, 'pdq', A, 10)],
  [entry(8, 'md5', C), entry(9, 'pdq', A, 20), entry(11, 'md5', C.toUpperCase()), entry(12, 'pdq', B, 30)],
];
const repeats = ['7 repeats 2', '9 repeats 2', '11 repeats 8', '12 repeats 5'];
const firsts = [`md5:${C}:-`, `pdq:${A}:90`, `pdq:${B}:70`, `sha256:${A}:-`];

describe('importBankEntries: duplicates found in the database', () => {
  // The default filter: only the repeats are candidates (surely here); no filter (0): every line is one, and the
  // database alone tells repeats from the rest.
  it.each([
    ['the default filter', undefined],
    ['every line a candidate', 0],
  ])(
    'reports each repeat with its first line, in line order, before applying, and keeps the first (%s)',
    async (name, bytes) => {
      const bankId = await newBank(`dups ${name}`);
      const { diff, events } = await run(
        bankId,
        list,
        bytes === undefined ? {} : { duplicateFilterBytes: bytes },
      );
      expect(events).toEqual([...repeats, 'apply']);
      expect(diff).toEqual({ added: 4, removed: 0, unchanged: 0, resync: false });
      expect(await live(bankId)).toEqual(firsts);
    },
  );

  it('re-imports a list with repeats as unchanged, on a bank with live entries; replace removes what it lost', async () => {
    const bankId = await newBank('dups re-import');
    await run(bankId, list);
    const again = await run(bankId, list);
    expect(again.events).toEqual([...repeats, 'apply']);
    expect(again.diff).toEqual({ added: 0, removed: 0, unchanged: 4, resync: false });
    // C leaves, D arrives (twice), A stays (twice).
    const next = await run(bankId, [
      [entry(1, 'pdq', D), entry(2, 'pdq', A, 90), entry(4, 'pdq', D, 5), entry(6, 'pdq', A)],
    ]);
    expect(next.events).toEqual(['4 repeats 1', '6 repeats 2', 'apply']);
    expect(next.diff).toEqual({ added: 1, removed: 3, unchanged: 1, resync: false });
    expect(await live(bankId)).toEqual([`pdq:${A}:90`, `pdq:${D}:-`]);
    const { rows } = await db.pool.query<{ type: string }>(
      `select payload->>'type' as type from outbox where key like 'entry:' || $1 || ':%' order by id`,
      [bankId],
    );
    expect(rows.map((r) => r.type).slice(-4)).toEqual([
      'entry-added',
      'entry-removed',
      'entry-removed',
      'entry-removed',
    ]);
  });

  it('numbers entries that carry no line by their position, and gives them the import provenance', async () => {
    const bankId = await newBank('dups positions');
    const plain = (value: string, provenance?: string): StagedEntry => ({
      signal: 'pdq',
      value,
      ...(provenance === undefined ? {} : { provenance }),
    });
    const { events, diff } = await run(
      bankId,
      [
        [plain(A), plain(B, 'own')],
        [plain(A), plain(D)],
      ],
      { provenance: 'the import', mode: 'append' },
    );
    expect(events).toEqual(['3 repeats 1', 'apply']);
    expect(diff).toMatchObject({ added: 3 });
    const { rows } = await db.pool.query<{ value: string; provenance: string }>(
      `select value, provenance from bank_entries where bank_id = $1 order by value`,
      [bankId],
    );
    expect(rows).toEqual([
      { value: A, provenance: 'the import' },
      { value: B, provenance: 'own' },
      { value: D, provenance: 'the import' },
    ]);
  });

  it('writes nothing when the caller refuses the list once its repeats are known, and the connection serves on', async () => {
    const bankId = await newBank('dups refused');
    let seen = 0;
    await expect(
      importBankEntries(db.pool, batches(...list), {
        bankId,
        mode: 'replace',
        changesTopic: topic,
        onDuplicate: () => void seen++,
        beforeApply: () => {
          if (seen > 0) throw new Error(`${seen} repeated lines`);
        },
      }),
    ).rejects.toThrow('4 repeated lines');
    expect(await live(bankId)).toEqual([]);
    const { rows } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from bank_entries where bank_id = $1`,
      [bankId],
    );
    expect(rows[0]?.n).toBe(0);
    // The temporary tables went with the transaction: the same pool imports again.
    const { diff } = await run(bankId, list);
    expect(diff.added).toBe(4);
  });
});
