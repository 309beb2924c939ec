import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpCaller } from './over-http.test-helper.js';

/*
 * Who may revoke a key on the self-service route (POST /v1/keys/:keyId/revoke), over HTTP on loopback: a key
 * itself, never a sibling (one leaked key must not lock its tenant out); an admin any key. Refusals are on record.
 */
const api = useCallersWorld({
  leaked: ['isp-r', 'isp'],
  sibling: ['isp-r', 'isp'],
  spare: ['isp-r', 'isp'],
  outsider: ['isp-s', 'isp'],
  authorityKey: ['auth-r', 'authority'],
  admin: ['ops-r', 'admin'],
  adminSpare: ['ops-r', 'admin'],
});
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
let officer: SignedIn;
/** The id of the key (its `/v1/me` credential id). */
const idOf = async (key: string) =>
  (await call(key, 'GET', '/v1/me')).json<{ credentialId: string }>().credentialId;
const revoke = (who: HttpCaller, keyId: string) => call(who, 'POST', `/v1/keys/${keyId}/revoke`);
const refusals = async (keyId: string) =>
  (await listAudit(api.db, { subjectId: keyId }))
    .filter((r) => r.action === 'key.revoke_refused')
    .map((r) => ({ actor: r.actor, role: r.role, reason: r.reason }));

beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  officer = await signedInPerson(api.db, 'auth-r', 'authority', 'officer-r');
});

describe('a key of a tenant', () => {
  it('may not revoke a sibling key: 403 MOD_ERR_API_KEY_NOT_OWN, the sibling still works, the refusal on record', async () => {
    const [leakedId, siblingId] = [await idOf(api.keys.leaked), await idOf(api.keys.sibling)];
    const refused = await revoke(api.keys.leaked, siblingId);
    expect([refused.status, refused.code]).toEqual([403, 'MOD_ERR_API_KEY_NOT_OWN']);
    expect((await call(api.keys.sibling, 'GET', '/v1/me')).status).toBe(200);
    expect(await refusals(siblingId)).toEqual([
      { actor: { kind: 'user', id: leakedId }, role: 'isp', reason: 'MOD_ERR_API_KEY_NOT_OWN' },
    ]);
  });

  it('may revoke itself (a leaked key is killed by whoever holds it); it then authenticates no more', async () => {
    const spareId = await idOf(api.keys.spare);
    const done = await revoke(api.keys.spare, spareId);
    expect(done.status).toBe(200);
    expect(done.json<{ id: string; revokedAt: string | null }>()).toMatchObject({ id: spareId });
    expect(done.json<{ revokedAt: string | null }>().revokedAt).not.toBeNull();
    expect((await call(api.keys.spare, 'GET', '/v1/me')).status).toBe(401);
    const records = (await listAudit(api.db, { subjectId: spareId })).filter(
      (r) => r.action === 'key.revoked',
    );
    expect(records.map((r) => r.actor)).toEqual([{ kind: 'user', id: spareId }]);
  });

  it('answers 404 for another tenant’s key, as before: its existence is not told', async () => {
    const outsiderId = await idOf(api.keys.outsider);
    const answer = await revoke(api.keys.leaked, outsiderId);
    expect([answer.status, answer.code]).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect(await refusals(outsiderId)).toEqual([]);
  });
});

describe('a person of a tenant', () => {
  it('may not revoke the tenant’s machine keys either: an admin does; refused and on record', async () => {
    const keyId = await idOf(api.keys.authorityKey);
    const refused = await revoke(officer, keyId);
    expect([refused.status, refused.code]).toEqual([403, 'MOD_ERR_API_KEY_NOT_OWN']);
    expect((await call(api.keys.authorityKey, 'GET', '/v1/me')).status).toBe(200);
    expect(await refusals(keyId)).toEqual([
      {
        actor: { kind: 'person', id: officer.personId },
        role: 'authority',
        reason: 'MOD_ERR_API_KEY_NOT_OWN',
      },
    ]);
  });
});

describe('the system admin', () => {
  it('revokes any tenant’s key at /v1/admin/keys, and its own tenant’s at /v1/keys', async () => {
    const siblingId = await idOf(api.keys.sibling);
    expect((await call(api.keys.admin, 'POST', `/v1/admin/keys/${siblingId}/revoke`)).status).toBe(200);
    expect((await call(api.keys.sibling, 'GET', '/v1/me')).status).toBe(401);
    const adminSpareId = await idOf(api.keys.adminSpare);
    expect((await revoke(api.keys.admin, adminSpareId)).status).toBe(200);
    expect((await call(api.keys.adminSpare, 'GET', '/v1/me')).status).toBe(401);
  });
});
