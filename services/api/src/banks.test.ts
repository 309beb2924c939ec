import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, upsertTenant } from '@mod/db';
import { createApiTestWorld, type ApiTestWorld } from './testing.js';

let world: ApiTestWorld;
let app: FastifyInstance;
let curator: string;

const auth = () => ({ authorization: `Bearer ${curator}` });
const hex = (c: string) => c.repeat(64);
async function newBank(
  name = `bank-${randomBytes(4).toString('hex')}`,
): Promise<{ id: string; name: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/banks',
    headers: auth(),
    payload: { name, source: 'test', signalTypes: ['sha256', 'md5'], actionPolicy: 'review' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

beforeAll(async () => {
  world = await createApiTestWorld();
  app = await world.build();
  await upsertTenant(world.db.pool, {
    id: 'hotline',
    kind: 'hotline',
    name: 'H',
    subscribedToBlocking: false,
  });
  curator = (await createApiKey(world.db.pool, { tenantId: 'hotline', role: 'curator' })).key;
});
afterAll(async () => world?.close());

describe('bank import and export over the API', () => {
  it('answers an import with the whole report: counts, diff, resync and the bad lines', async () => {
    const bank = await newBank();
    const res = await app.inject({
      method: 'POST',
      url: `/v1/banks/${bank.id}/import?format=csv&mode=append`,
      headers: { ...auth(), 'content-type': 'text/csv' },
      payload: `sha256,${hex('1')}\nsha256,nothex\nmd5,${'2'.repeat(32)}\n`,
    });
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
      lineErrors: [
        { lineNumber: 2, code: 'MOD_ERR_MATCHER_LIST_BAD_HEX', message: report.lineErrors[0]?.message },
      ],
      lineErrorsTruncated: false,
    });
  });

  it('streams an export in the format asked for, with its media type', async () => {
    const bank = await newBank();
    await app.inject({
      method: 'POST',
      url: `/v1/banks/${bank.id}/import?format=csv`,
      headers: { ...auth(), 'content-type': 'text/csv' },
      payload: `sha256,${hex('3')}\nsha256,${hex('4')}\n`,
    });
    const csv = await app.inject({ url: `/v1/banks/${bank.id}/export?format=csv`, headers: auth() });
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
    const jsonl = await app.inject({ url: `/v1/banks/${bank.id}/export?format=jsonl`, headers: auth() });
    expect(jsonl.headers['content-type']).toBe('application/x-ndjson');
    expect(
      jsonl.body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { value: string }).value),
    ).toEqual([hex('3'), hex('4')]);
  });
});
