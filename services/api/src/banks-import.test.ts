import { beforeAll, describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';

let bankId: string;

const api = useCallersWorld({ curator: ['hotline-1', 'curator'] });

beforeAll(async () => {
  const res = await api.call(api.keys.curator, 'POST', '/v1/banks', {
    name: 'strict-bank',
    source: 'test',
    signalTypes: ['sha256'],
    actionPolicy: 'review',
  });
  bankId = res.json<{ id: string }>().id;
});

const importList = (query: string, payload: string) =>
  api.app.inject({
    method: 'POST',
    url: `/v1/banks/${bankId}/import?${query}`,
    headers: { authorization: `Bearer ${api.keys.curator}`, 'content-type': 'text/csv' },
    payload,
  });

describe('bank import refusals', () => {
  it('answers a refused list with 400 MOD_ERR_API_LIST_REJECTED, not a 500', async () => {
    const strict = await importList('format=csv&strict=true', `sha256,${'a'.repeat(64)}\nsha256,nothex\n`);
    expect(strict.statusCode).toBe(400);
    expect(strict.json()).toMatchObject({
      error: { code: 'MOD_ERR_API_LIST_REJECTED', message: expect.stringContaining('strict') as string },
    });
    const empty = await importList('format=csv', 'sha256,nothex\n');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { code: 'MOD_ERR_API_LIST_REJECTED' } });
    // A replace whose lines are mostly bad would shrink the bank to the few that read: refused unless forced.
    const mangled = `sha256,${'c'.repeat(64)}\nsha256;${'d'.repeat(64)}\nsha256;${'e'.repeat(64)}\n`;
    const refused = await importList('format=csv', mangled);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      error: {
        code: 'MOD_ERR_API_LIST_REJECTED',
        message: expect.stringContaining('2 of 3 lines') as string,
      },
    });
    const forced = await importList('format=csv&force=true&dryRun=true', mangled);
    expect(forced.json()).toMatchObject({ added: 1, badLines: 2, dryRun: true });
    const ok = await importList('format=csv&mode=append', `sha256,${'b'.repeat(64)}\n`);
    expect(ok.json()).toMatchObject({ added: 1 });
  });

  it('lists the first bad lines in line order, repeated lines (found last) among them', async () => {
    const good = (n: number) => `sha256,${n.toString(16).padStart(64, '0')}`;
    // Line 1 and 3 good, 2 and 4 repeat 1, then 1,000 bad lines: 1,002 bad in all.
    const list = [good(1), good(1), good(3), good(1), ...Array.from({ length: 1000 }, () => 'sha256,zz')];
    const res = await importList('format=csv&force=true', `${list.join('\n')}\n`);
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      badLines: number;
      lineErrors: { lineNumber: number; code: string; message: string }[];
      lineErrorsTruncated: boolean;
    }>();
    expect(body).toMatchObject({ badLines: 1002, added: 2, lineErrorsTruncated: true });
    expect(body.lineErrors).toHaveLength(1000);
    expect(body.lineErrors.slice(0, 3)).toEqual([
      { lineNumber: 2, code: 'MOD_ERR_MATCHER_LIST_DUPLICATE', message: 'duplicate of line 1' },
      { lineNumber: 4, code: 'MOD_ERR_MATCHER_LIST_DUPLICATE', message: 'duplicate of line 1' },
      { lineNumber: 5, code: 'MOD_ERR_MATCHER_LIST_BAD_HEX', message: 'sha256 value is not hex' },
    ]);
    expect(body.lineErrors.at(-1)?.lineNumber).toBe(1002);
  });
});

describe('bank import of perceptual hashes', () => {
  it('refuses a PDQ or blockhash of blank media (every bit 0 or 1) as a bad line; exact hashes stay', async () => {
    const created = await api.call(api.keys.curator, 'POST', '/v1/banks', {
      name: 'blank-bank',
      source: 'test',
      signalTypes: ['pdq', 'blockhash', 'sha256'],
      actionPolicy: 'automatic',
    });
    const id = created.json<{ id: string }>().id;
    const lines = [
      `pdq,${'0'.repeat(64)}`,
      `blockhash,${'F'.repeat(64)}`,
      `blockhash,${'0'.repeat(64)}`,
      `pdq,${'f'.repeat(64)}`,
      `pdq,${'0f'.repeat(32)}`,
      `sha256,${'0'.repeat(64)}`,
    ];
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/banks/${id}/import?format=csv&force=true`,
      headers: { authorization: `Bearer ${api.keys.curator}`, 'content-type': 'text/csv' },
      payload: `${lines.join('\n')}\n`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      added: number;
      badLines: number;
      lineErrors: { lineNumber: number; code: string }[];
    }>();
    expect(body).toMatchObject({ added: 2, badLines: 4 });
    expect(body.lineErrors.map((e) => [e.lineNumber, e.code])).toEqual(
      [1, 2, 3, 4].map((n) => [n, 'MOD_ERR_MATCHER_LIST_DEGENERATE_HASH']),
    );
    const { rows } = await api.db.query<{ signal: string; value: string }>(
      `select signal, value from bank_entries where bank_id = $1 and removed_at is null order by signal`,
      [id],
    );
    expect(rows).toEqual([
      { signal: 'pdq', value: '0f'.repeat(32) },
      { signal: 'sha256', value: '0'.repeat(64) },
    ]);
  });
});

describe('bank import preview (dryRun)', () => {
  it('counts what the import would add, keep, remove and refuse, and changes nothing', async () => {
    const created = await api.call(api.keys.curator, 'POST', '/v1/banks', {
      name: 'preview-bank',
      source: 'test',
      signalTypes: ['sha256'],
      actionPolicy: 'review',
    });
    const id = created.json<{ id: string }>().id;
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const load = (query: string, lines: string[]) =>
      api.app.inject({
        method: 'POST',
        url: `/v1/banks/${id}/import?${query}`,
        headers: { authorization: `Bearer ${api.keys.curator}`, 'content-type': 'text/csv' },
        payload: `${lines.join('\n')}\n`,
      });
    expect((await load('format=csv', [`sha256,${hex(1)}`, `sha256,${hex(2)}`])).json()).toMatchObject({
      added: 2,
      dryRun: false,
    });
    const state = async () => {
      const { rows } = await api.db.query<{
        live: number;
        all: number;
        outbox: number;
        audit: number;
      }>(
        `select (select count(*)::int from bank_entries where bank_id = $1 and removed_at is null) as live,
                (select count(*)::int from bank_entries where bank_id = $1) as all,
                (select count(*)::int from outbox) as outbox,
                (select count(*)::int from audit_records) as audit`,
        [id],
      );
      return rows[0];
    };
    const before = await state();
    // Replace with 2 (kept) + 3 (new) and a bad line: 1 would go.
    const preview = await load('format=csv&dryRun=true', [
      `sha256,${hex(2)}`,
      `sha256,${hex(3)}`,
      'sha256,zz',
    ]);
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({
      dryRun: true,
      lines: 3,
      badLines: 1,
      added: 1,
      unchanged: 1,
      removed: 1,
      lineErrors: [{ lineNumber: 3, code: 'MOD_ERR_MATCHER_LIST_BAD_HEX' }],
    });
    expect(await state()).toEqual(before);
    // The import itself then does what the preview said.
    const done = await load('format=csv', [`sha256,${hex(2)}`, `sha256,${hex(3)}`, 'sha256,zz']);
    expect(done.json()).toMatchObject({ dryRun: false, added: 1, unchanged: 1, removed: 1, badLines: 1 });
  });
});
