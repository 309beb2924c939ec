import { beforeAll, describe, expect, it } from 'vitest';
import { appendAuditAlone, listAudit } from '@mod/db/audit';
import { useCallersWorld } from './callers-world.test-helper.js';
import { integerProperties } from './decimal-integers.js';
import { listenOnLoopback, type HttpAnswer } from './over-http.test-helper.js';

type Call = Awaited<ReturnType<typeof listenOnLoopback>>;

/**
 * Integer path and query parameters take decimal digits only: ajv's coercion read `0x1` as 1 and `1e1` as 10, so
 * an admin's erasure of `…/records/0x1/…` erased record 1. Over HTTP on 127.0.0.1, against PostgreSQL.
 */

const api = useCallersWorld({ admin: ['ops', 'admin'] });
let call: Call;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
});
const dismissal = (caseId: string) =>
  appendAuditAlone(api.db, {
    actor: { kind: 'person', id: 'reviewer-1' },
    action: 'case.dismissed',
    subject: { type: 'case', id: caseId },
    reason: `lý do của ${caseId}`,
  });
const refused = (res: HttpAnswer) => [res.status, res.code];
const NOT_DECIMAL = ['0x1', '1e0', '0b1', '0o1', '+1', ' 1', '1.0', '1 ', '0x', 'Infinity'];

describe('integer parameters in decimal digits only', () => {
  it('refuses 0x1, 1e0 and other spellings of a number on the irreversible erase route, erasing nothing', async () => {
    await dismissal('case-0');
    const target = await dismissal('case-1');
    expect(target.seq).toBe(1);
    for (const seq of NOT_DECIMAL) {
      const res = await call(
        api.keys.admin,
        'POST',
        `/v1/audit/records/${encodeURIComponent(seq)}/texts/reason/erase`,
        {
          reason: 'người liên quan yêu cầu',
        },
      );
      expect([seq, ...refused(res)]).toEqual([seq, 400, 'MOD_ERR_API_VALIDATION']);
    }
    expect((await listAudit(api.db, { subjectId: 'case-1' }))[0]?.reason).toBe('lý do của case-1');
    // Decimal digits still name the record.
    const erased = await call(api.keys.admin, 'POST', '/v1/audit/records/1/texts/reason/erase', {
      reason: 'người liên quan yêu cầu',
    });
    expect(erased.status).toBe(200);
    expect((await listAudit(api.db, { subjectId: 'case-1' }))[0]?.reason).toBeNull();
  });

  it('refuses them in other paths and in query strings, repeated values included', async () => {
    expect(refused(await call(api.keys.admin, 'GET', '/v1/audit/records/0x0/evidence'))).toEqual([
      400,
      'MOD_ERR_API_VALIDATION',
    ]);
    expect((await call(api.keys.admin, 'GET', '/v1/audit/records/0/evidence')).status).toBe(200);
    for (const limit of ['0x1', '1e1', '-0x1']) {
      const res = await call(api.keys.admin, 'GET', `/v1/admin/tenants/ops/keys?limit=${limit}`);
      expect([limit, ...refused(res)]).toEqual([limit, 400, 'MOD_ERR_API_VALIDATION']);
    }
    const repeated = await call(api.keys.admin, 'GET', '/v1/admin/tenants/ops/keys?limit=1&limit=0x1');
    expect(refused(repeated)).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    const plain = await call(api.keys.admin, 'GET', '/v1/admin/tenants/ops/keys?limit=1');
    expect(plain.status).toBe(200);
    expect(plain.json<{ keys: unknown[] }>().keys).toHaveLength(1);
    // A number past its bounds is still ajv's to refuse.
    const zero = await call(api.keys.admin, 'GET', '/v1/admin/tenants/ops/keys?limit=0');
    expect(refused(zero)).toEqual([400, 'MOD_ERR_API_VALIDATION']);
  });

  it('finds the integer properties of a route schema, optional and unions included', () => {
    expect(
      integerProperties({
        type: 'object',
        properties: {
          a: { type: 'integer' },
          b: { type: 'string' },
          c: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
          d: { type: ['integer', 'null'] },
        },
      }),
    ).toEqual(['a', 'c', 'd']);
    expect(integerProperties(undefined)).toEqual([]);
  });
});
