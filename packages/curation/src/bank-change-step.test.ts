import { describe, expect, it } from 'vitest';
import { type PoolClient } from '@mod/db';
import { CurationErrorCode, createBank, updateBankSettings } from './index.js';
import { db, importList, sha, topic, useBankDatabase } from './bank-import.test-helper.js';

useBankDatabase();

describe("the caller's step in a bank change's transaction", () => {
  const boom = () => Promise.reject(new Error('audit failed'));
  const count = async (sql: string, args: unknown[] = []) =>
    (await db.pool.query<{ n: number }>(`select count(*)::int as n from ${sql}`, args)).rows[0]?.n;

  it('runs with the result and commits with the change; when it fails, nothing is written', async () => {
    const outboxBefore = await count('outbox');
    await expect(
      createBank(
        db.pool,
        { name: 'doomed', source: 't', signalTypes: ['sha256'], actionPolicy: 'review' },
        topic,
        {
          inTransaction: boom,
        },
      ),
    ).rejects.toThrow('audit failed');
    expect(await count('banks where name = $1', ['doomed'])).toBe(0);
    expect(await count('outbox')).toBe(outboxBefore);

    const seen: string[] = [];
    const { bank } = await createBank(
      db.pool,
      { name: 'kept', source: 't', signalTypes: ['sha256'], actionPolicy: 'review' },
      topic,
      { inTransaction: async (c, b) => void seen.push(`created ${b.name} ${await banksWithId(c, b.id)}`) },
    );
    // The step saw the bank inside the transaction.
    expect(seen).toEqual(['created kept 1']);

    await expect(
      updateBankSettings(db.pool, bank.id, { enabled: false }, topic, { inTransaction: boom }),
    ).rejects.toThrow('audit failed');
    expect(await count('banks where id = $1 and enabled', [bank.id])).toBe(1);
    const changed = await updateBankSettings(db.pool, bank.id, { enabled: false }, topic, {
      inTransaction: async (_c, b) => void seen.push(`enabled ${b.enabled}`),
    });
    expect(changed?.enabled).toBe(false);
    expect(seen.at(-1)).toBe('enabled false');
    // No such bank: null, and the step does not run.
    expect(
      await updateBankSettings(db.pool, '00000000-0000-4000-8000-000000000000', { enabled: true }, topic, {
        inTransaction: boom,
      }),
    ).toBeNull();

    const list = `sha256,${sha(0xaa)}\nsha256,${sha(0xbb)}\n`;
    await expect(importList({ bankId: bank.id }, 'csv', list, { inTransaction: boom })).rejects.toThrow(
      'audit failed',
    );
    expect(await count('bank_entries where bank_id = $1', [bank.id])).toBe(0);
    const reports: unknown[] = [];
    const report = await importList({ bankId: bank.id }, 'csv', list, {
      inTransaction: async (_c, r) => void reports.push(r),
    });
    expect(reports).toEqual([report]);
    expect(report).toMatchObject({ bank: 'kept', lines: 2, badLines: 0, added: 2 });
    expect(await count('bank_entries where bank_id = $1 and removed_at is null', [bank.id])).toBe(2);
  });

  it('imports into a bank by id; an unknown id is an unknown bank', async () => {
    await expect(
      importList({ bankId: '00000000-0000-4000-8000-000000000000' }, 'csv', ''),
    ).rejects.toMatchObject({ code: CurationErrorCode.UnknownBank });
  });
});

async function banksWithId(c: PoolClient, bankId: string): Promise<number | undefined> {
  return (await c.query<{ n: number }>('select count(*)::int as n from banks where id = $1', [bankId]))
    .rows[0]?.n;
}
