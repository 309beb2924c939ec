import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import type { PersonRole } from '@mod/db/people';
import { totpCode, totpStep } from '@mod/people';
import { seedPerson, seedSession, sessionHeaders, sessionTokenFrom } from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { errorCodeOf } from './testing.test-helper.js';

let adminKeyId: string;

const api = useCallersWorld(
  { admin: ['ops', 'admin'], reviewer: ['hotline', 'reviewer'] },
  { tenants: { hotline: 'hotline', 'isp-x': 'isp', 'authority-x': 'authority' } },
);

beforeAll(async () => {
  const me = await api.app.inject({
    method: 'GET',
    url: '/v1/me',
    headers: { authorization: `Bearer ${api.keys.admin}` },
  });
  adminKeyId = me.json<{ credentialId: string }>().credentialId;
});

const asAdmin = (method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${api.keys.admin}` },
    ...(payload === undefined ? {} : { payload }),
  });
/** A person of this file (by default a reviewer of the hotline), with a password and TOTP. */
const newPerson = (login: string, role: PersonRole = 'reviewer', tenantId = 'hotline') =>
  seedPerson(api.db, { tenantId, login, role });
const signIn = (body: Record<string, string>) =>
  api.app.inject({ method: 'POST', url: '/v1/session', payload: body });
const nowCode = (secret: string, offset = 0) => totpCode(secret, totpStep(Date.now()) + offset);
interface Issued {
  person: {
    id: string;
    login: string;
    mustChangePassword: boolean;
    totpEnrolled: boolean;
    disabledAt: string | null;
  };
  oneTimePassword: string;
  oneTimePasswordExpiresAt: string;
  sessionsEnded: number;
}

describe('people administration', () => {
  it('creates a person of a role their tenant allows, answering the one-time password once', async () => {
    const res = await asAdmin('POST', '/v1/admin/people', {
      tenantId: 'authority-x',
      login: 'Officer.Binh',
      displayName: 'Trần Thị Bình',
      role: 'authority',
    });
    expect(res.statusCode).toBe(201);
    const issued = res.json<Issued>();
    expect(issued.person).toMatchObject({
      login: 'officer.binh',
      mustChangePassword: true,
      totpEnrolled: false,
    });
    expect(issued.oneTimePassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(Date.parse(issued.oneTimePasswordExpiresAt) - Date.now()).toBeGreaterThan(71 * 3600_000);
    // Never shown again.
    const listed = await asAdmin('GET', '/v1/admin/people?tenantId=authority-x');
    expect(listed.body).not.toContain(issued.oneTimePassword);
    expect(listed.json<{ people: { id: string }[] }>().people.map((p) => p.id)).toEqual([issued.person.id]);
    expect((await asAdmin('GET', `/v1/admin/people/${issued.person.id}`)).json()).toMatchObject({
      role: 'authority',
    });

    // Audited as the admin's key, naming the person by id only (no login, no name in the log).
    const [record] = await listAudit(api.db, { subjectId: issued.person.id });
    expect(record).toMatchObject({
      action: 'person.created',
      actor: { kind: 'user', id: adminKeyId },
      subject: { type: 'person', id: issued.person.id },
    });
    const { rows } = await api.db.query<{ name: string; document: string }>(
      `select name, document from audit_evidence where seq = $1`,
      [record!.seq],
    );
    expect(JSON.parse(rows.find((r) => r.name === 'credential')!.document)).toEqual({
      kind: 'api-key',
      id: adminKeyId,
    });
    expect(JSON.stringify([record, rows])).not.toMatch(/officer|Bình/i);
  });

  it('refuses machine roles, roles the tenant kind does not allow, unknown tenants and taken logins', async () => {
    const make = (b: Record<string, string>) =>
      asAdmin('POST', '/v1/admin/people', {
        tenantId: 'hotline',
        login: 'someone.new',
        displayName: 'X',
        role: 'reviewer',
        ...b,
      });
    expect(errorCodeOf(await make({ tenantId: 'isp-x', role: 'isp' }))).toBe(
      'MOD_ERR_API_ROLE_NOT_FOR_PEOPLE',
    );
    expect(errorCodeOf(await make({ role: 'admin' }))).toBe('MOD_ERR_API_ROLE_NOT_FOR_PEOPLE');
    const english = await api.app.inject({
      method: 'POST',
      url: '/v1/admin/people',
      headers: { authorization: `Bearer ${api.keys.admin}`, 'accept-language': 'en' },
      payload: { tenantId: 'hotline', login: 'someone.new', displayName: 'X', role: 'platform' },
    });
    expect(english.json<{ error: { message: string } }>().error.message).toMatch(/for machines/);
    expect([(await make({ tenantId: 'nowhere' })).statusCode]).toEqual([404]);
    expect((await make({})).statusCode).toBe(201);
    const taken = await make({ login: 'SOMEONE.new' });
    expect([taken.statusCode, errorCodeOf(taken)]).toEqual([409, 'MOD_ERR_API_LOGIN_TAKEN']);
    expect(errorCodeOf(await make({ login: 'ab' }))).toBe('MOD_ERR_API_VALIDATION');
    // Reviewers do not manage people.
    const denied = await api.app.inject({
      method: 'GET',
      url: '/v1/admin/people',
      headers: { authorization: `Bearer ${api.keys.reviewer}` },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('resets a password: the sessions end, the old password and second factor stop, the new one-time password starts over', async () => {
    const p = await newPerson('reviewer.reset');
    const live = await seedSession(api.db, p.personId);
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/session', headers: live.headers })).statusCode,
    ).toBe(200);
    const res = await asAdmin('POST', `/v1/admin/people/${p.personId}/reset`);
    expect(res.statusCode).toBe(200);
    const issued = res.json<Issued>();
    expect(issued).toMatchObject({
      sessionsEnded: 1,
      person: { mustChangePassword: true, totpEnrolled: false },
    });
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/session', headers: live.headers })).statusCode,
    ).toBe(401);
    expect(
      (await signIn({ login: p.login, password: p.password, code: nowCode(p.totpSecret!) })).statusCode,
    ).toBe(401);
    const fresh = await signIn({ login: p.login, password: issued.oneTimePassword });
    expect(fresh.json()).toMatchObject({ stage: 'password' });
    expect((await listAudit(api.db, { subjectId: p.personId })).map((r) => [r.action, r.actor.kind])).toEqual(
      [
        ['person.password_reset', 'user'],
        ['person.signed_in', 'person'],
      ],
    );
    expect(
      (await asAdmin('POST', `/v1/admin/people/00000000-0000-4000-8000-000000000000/reset`)).statusCode,
    ).toBe(404);
  });

  it('disables a person on leave: sessions end at once, sign-in is refused; enabling lets them back in', async () => {
    const p = await newPerson('reviewer.leave');
    const signedIn = sessionTokenFrom(
      (await signIn({ login: p.login, password: p.password, code: nowCode(p.totpSecret!) })).headers[
        'set-cookie'
      ],
    )!;
    const off = await asAdmin('POST', `/v1/admin/people/${p.personId}/disable`, {
      reason: 'nghỉ phép dài hạn',
    });
    expect(off.json()).toMatchObject({ sessionsEnded: 1, person: { disabledReason: 'nghỉ phép dài hạn' } });
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/session', headers: sessionHeaders(signedIn) }))
        .statusCode,
    ).toBe(401);
    // A wrong password says nothing; the right password and code say the account is disabled.
    expect(errorCodeOf(await signIn({ login: p.login, password: 'wrong wrong wrong' }))).toBe(
      'MOD_ERR_API_SIGN_IN_FAILED',
    );
    const refused = await signIn({ login: p.login, password: p.password, code: nowCode(p.totpSecret!, 1) });
    expect([refused.statusCode, errorCodeOf(refused)]).toEqual([403, 'MOD_ERR_API_ACCOUNT_DISABLED']);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/vô hiệu hóa/);
    // Idempotent: disabling again changes and audits nothing.
    const again = await asAdmin('POST', `/v1/admin/people/${p.personId}/disable`, { reason: 'again' });
    expect(again.json()).toMatchObject({ sessionsEnded: 0, person: { disabledReason: 'nghỉ phép dài hạn' } });
    const on = await asAdmin('POST', `/v1/admin/people/${p.personId}/enable`);
    expect(on.json()).toMatchObject({ person: { disabledAt: null } });
    expect(
      (await signIn({ login: p.login, password: p.password, code: nowCode(p.totpSecret!, 1) })).statusCode,
    ).toBe(200);
    const actions = (await listAudit(api.db, { subjectId: p.personId })).map((r) => r.action);
    expect(actions).toEqual(['person.signed_in', 'person.disabled', 'person.enabled', 'person.signed_in']);
    const failed = (await listAudit(api.db, { limit: 10_000 })).filter((r) => r.actor.id === p.personId);
    expect(failed.map((r) => [r.action, r.reason])).toContainEqual(['person.sign_in_refused', 'disabled']);
  });

  it('an admin person acts under their own name and may not reset or disable themselves', async () => {
    const admin = await newPerson('admin.self', 'admin', 'ops');
    const s = await seedSession(api.db, admin.personId);
    const self = await api.app.inject({
      method: 'POST',
      url: `/v1/admin/people/${admin.personId}/reset`,
      headers: s.headers,
    });
    expect([self.statusCode, errorCodeOf(self)]).toEqual([409, 'MOD_ERR_API_NOT_YOURSELF']);
    const other = await newPerson('reviewer.other');
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/admin/people/${other.personId}/disable`,
      headers: s.headers,
      payload: { reason: 'left' },
    });
    expect(res.statusCode).toBe(200);
    const [record] = await listAudit(api.db, { subjectId: other.personId });
    expect(record).toMatchObject({
      action: 'person.disabled',
      actor: { kind: 'person', id: admin.personId },
      reason: 'left',
    });
  });
});
