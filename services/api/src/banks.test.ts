import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { useCallersWorld } from './callers-world.test-helper.js';

const auth = () => ({ authorization: `Bearer ${api.keys.curator}` });
const hex = (c: string) => c.repeat(64);
async function newBank(
  name = `bank-${randomBytes(4).toString('hex')}`,
): Promise<{ id: string; name: string }> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/banks',
    headers: auth(),
    payload: { name, source: 'test', signalTypes: ['sha256', 'md5'], actionPolicy: 'review' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A CSV list imported into a bank as a curator: in the default mode, or appended (`mode=append`). */
const importCsv = (bankId: string, list: string, mode?: 'append') =>
  api.app.inject({
    method: 'POST',
    url: `/v1/banks/${bankId}/import?format=csv${mode === undefined ? '' : `&mode=${mode}`}`,
    headers: { ...auth(), 'content-type': 'text/csv' },
    payload: list,
  });

const api = useCallersWorld({ curator: ['hotline', 'curator'] });

describe('bank import and export over the API', () => {
  it('answers an import with the whole report: counts, diff, resync and the bad lines', async () => {
    const bank = await newBank();
    const res = await importCsv(
      bank.id,
      `sha256,${hex('1')}\nsha256,nothex\nmd5,${'2'.repeat(32)}\n`,
      'append',
    );
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json<{ lineErrors: { message: string }[] }>();
    expect(report.lineErrors[0]?.message).toMatch(/hex/i);
    expect(report).toEqual({
      bank: bank.name,
      lines: 3,
      badLines: 1,
      added: 2,
      removed: 0,
      unchanged: 0,
      resync: false,
      dryRun: false,
      lineErrors: [
        { lineNumber: 2, code: 'MOD_ERR_MATCHER_LIST_BAD_HEX', message: report.lineErrors[0]?.message },
      ],
      lineErrorsTruncated: false,
    });
  });

  it('streams an export in the format asked for, with its media type', async () => {
    const bank = await newBank();
    await importCsv(bank.id, `sha256,${hex('3')}\nsha256,${hex('4')}\n`);
    const csv = await api.app.inject({ url: `/v1/banks/${bank.id}/export?format=csv`, headers: auth() });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="${bank.name}.csv"`);
    expect(
      csv.body
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').slice(0, 2).join(',')),
    ).toEqual([`sha256,${hex('3')}`, `sha256,${hex('4')}`]);
    const jsonl = await api.app.inject({ url: `/v1/banks/${bank.id}/export?format=jsonl`, headers: auth() });
    expect(jsonl.headers['content-type']).toBe('application/x-ndjson');
    expect(
      jsonl.body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { value: string }).value),
    ).toEqual([hex('3'), hex('4')]);
  });
});

describe('bank changes over the API', () => {
  const unknownId = '00000000-0000-4000-8000-000000000000';

  it('answers 404 for an unknown bank on every bank route', async () => {
    for (const [method, url, payload, type] of [
      ['PATCH', `/v1/banks/${unknownId}`, { enabled: false }, 'application/json'],
      ['POST', `/v1/banks/${unknownId}/import?format=csv`, `sha256,${hex('5')}\n`, 'text/csv'],
      ['GET', `/v1/banks/${unknownId}/export?format=csv`, undefined, undefined],
    ] as const) {
      const res = await api.app.inject({
        method,
        url,
        headers: { ...auth(), ...(type === undefined ? {} : { 'content-type': type }) },
        ...(payload === undefined ? {} : { payload }),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_NOT_FOUND');
    }
  });

  it('answers 409 for a name another bank has, changing and auditing nothing', async () => {
    const bank = await newBank();
    const again = await api.app.inject({
      method: 'POST',
      url: '/v1/banks',
      headers: auth(),
      payload: { name: bank.name, source: 'other', signalTypes: ['md5'], actionPolicy: 'automatic' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'MOD_ERR_API_CONFLICT' } });
    const row = await api.db.query<{ source: string; action_policy: string }>(
      'select source, action_policy from banks where id = $1',
      [bank.id],
    );
    expect(row.rows).toEqual([{ source: 'test', action_policy: 'review' }]);
    const actions = (await listAudit(api.db, { subjectId: bank.id, limit: 10 })).map((r) => r.action);
    expect(actions).toEqual(['bank.created']);
  });

  it('audits each change in its own transaction: no change without its record, no record without the change', async () => {
    const db = api.db;
    const actions = async (bankId: string) =>
      (await listAudit(db, { subjectId: bankId, limit: 100 })).map((r) => r.action);
    const bank = await newBank();
    const patch = (body: object) =>
      api.app.inject({ method: 'PATCH', url: `/v1/banks/${bank.id}`, headers: auth(), payload: body });
    const importList = (list: string) => importCsv(bank.id, list, 'append');
    expect((await patch({ pdqThreshold: 12 })).statusCode).toBe(200);
    expect((await importList(`sha256,${hex('6')}\n`)).statusCode).toBe(200);
    expect(await actions(bank.id)).toEqual(['bank.created', 'bank.settings_changed', 'bank.imported']);

    // The audit log refuses these records for a moment: each change must then not happen at all.
    const outboxBefore = (await db.query<{ n: number }>('select count(*)::int as n from outbox')).rows[0]?.n;
    await db.query(
      `alter table audit_records add constraint refuse_bank_changes check (
         (record::jsonb ->> 'action') not in ('bank.created', 'bank.settings_changed', 'bank.imported')) not valid`,
    );
    try {
      const name = `refused-${randomBytes(4).toString('hex')}`;
      const created = await api.app.inject({
        method: 'POST',
        url: '/v1/banks',
        headers: auth(),
        payload: { name, source: 'test', signalTypes: ['sha256'], actionPolicy: 'review' },
      });
      expect(created.statusCode).toBe(500);
      expect((await patch({ pdqThreshold: 20 })).statusCode).toBe(500);
      expect((await importList(`sha256,${hex('7')}\n`)).statusCode).toBe(500);
      expect((await db.query('select 1 from banks where name = $1', [name])).rowCount).toBe(0);
      const now = (
        await db.query<{ pdq_threshold: number }>('select pdq_threshold from banks where id = $1', [bank.id])
      ).rows[0];
      expect(now?.pdq_threshold).toBe(12);
      const entries = await db.query<{ value: string }>(
        'select value from bank_entries where bank_id = $1 and removed_at is null',
        [bank.id],
      );
      expect(entries.rows.map((r) => r.value)).toEqual([hex('6')]);
      expect((await db.query<{ n: number }>('select count(*)::int as n from outbox')).rows[0]?.n).toBe(
        outboxBefore,
      );
    } finally {
      await db.query('alter table audit_records drop constraint refuse_bank_changes');
    }
    expect(await actions(bank.id)).toEqual(['bank.created', 'bank.settings_changed', 'bank.imported']);
  });

  it('exports a bank whose name (made outside the API, as modctl may) is not plain ASCII, with a safe file name', async () => {
    const bank = await newBank();
    const name = 'Ngân hàng "IWF"; filename=x.html';
    await api.db.query('update banks set name = $1 where id = $2', [name, bank.id]);
    const csv = await api.app.inject({ url: `/v1/banks/${bank.id}/export?format=csv`, headers: auth() });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-disposition']).toBe(
      `attachment; filename="Ng_n_h_ng__IWF___filename_x.html.csv"; filename*=UTF-8''${encodeURIComponent(`${name}.csv`)}`,
    );
    expect(csv.body.split('\n')[0]).toBe('signal,value,quality,category,note');
  });

  it('audits every export (who took which bank, in which format) before a line is sent', async () => {
    const bank = await newBank();
    await importCsv(bank.id, `sha256,${hex('8')}\n`);
    const res = await api.app.inject({ url: `/v1/banks/${bank.id}/export?format=jsonl`, headers: auth() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain(hex('8'));
    const records = await listAudit(api.db, { subjectId: bank.id, limit: 10 });
    expect(records.map((r) => r.action)).toEqual(['bank.created', 'bank.imported', 'bank.exported']);
    expect(records.at(-1)).toMatchObject({ role: 'curator', tenantId: 'hotline' });

    // No record, no export: a log that refuses the record sends nothing of the bank.
    await api.db.query(
      `alter table audit_records add constraint refuse_bank_exports check (
         (record::jsonb ->> 'action') <> 'bank.exported') not valid`,
    );
    try {
      const refused = await api.app.inject({
        url: `/v1/banks/${bank.id}/export?format=csv`,
        headers: auth(),
      });
      expect(refused.statusCode).toBe(500);
      expect(refused.body).not.toContain(hex('8'));
    } finally {
      await api.db.query('alter table audit_records drop constraint refuse_bank_exports');
    }
  });

  it('refuses a match radius beyond a quarter of the bits, which would match unrelated images', async () => {
    const bank = await newBank();
    for (const body of [{ pdqThreshold: 256 }, { blockhashThreshold: 65 }]) {
      const res = await api.app.inject({
        method: 'PATCH',
        url: `/v1/banks/${bank.id}`,
        headers: auth(),
        payload: body,
      });
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([
        400,
        'MOD_ERR_API_VALIDATION',
      ]);
    }
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/banks',
      headers: auth(),
      payload: {
        name: `wide-${randomBytes(4).toString('hex')}`,
        source: 'test',
        signalTypes: ['pdq'],
        actionPolicy: 'automatic',
        pdqThreshold: 200,
      },
    });
    expect(created.statusCode).toBe(400);
    const ok = await api.app.inject({
      method: 'PATCH',
      url: `/v1/banks/${bank.id}`,
      headers: auth(),
      payload: { pdqThreshold: 64 },
    });
    expect(ok.json()).toMatchObject({ pdqThreshold: 64 });
    expect((await listAudit(api.db, { subjectId: bank.id, limit: 10 })).map((r) => r.action)).toEqual([
      'bank.created',
      'bank.settings_changed',
    ]);
  });

  it("refuses control characters in a bank's source, licence, version and category scheme, as URL lists do", async () => {
    const base = { source: 'test', signalTypes: ['pdq'], actionPolicy: 'review' };
    for (const field of ['source', 'licence', 'version', 'categoryScheme'])
      for (const text of ['two\nlines', 'esc\u001b[2J', 'nul\u0000']) {
        const res = await api.app.inject({
          method: 'POST',
          url: '/v1/banks',
          headers: auth(),
          payload: { ...base, name: `ctl-${randomBytes(4).toString('hex')}`, [field]: text },
        });
        expect([field, res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([
          field,
          400,
          'MOD_ERR_API_VALIDATION',
        ]);
      }
  });
});
