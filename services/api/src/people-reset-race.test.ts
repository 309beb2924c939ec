import { describe, expect, it } from 'vitest';
import { withTransaction, type PoolClient } from '@mod/db';
import { updateTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { getPersonSecrets, resetPersonPassword, revokeSessionsOf, setPersonDisabled } from '@mod/db/people';
import { hashPassword, totpCode, totpStep, verifyPassword } from '@mod/people';
import { listenOnLoopback } from './over-http.test-helper.js';
import {
  seedPerson,
  seedSession,
  sessionHeaders,
  sessionTokenFrom,
  TEST_PEOPLE_SETTINGS,
  type TestPerson,
} from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/**
 * An admin's reset racing a password change made in a stolen session: the reset (a new one-time password, no
 * second factor, every session ended) is what locks the thief out, so a change that reaches the database after it
 * must not undo it. The reset is made in a transaction of the test's own that holds the person's row while the
 * change, sent over HTTP on 127.0.0.1, waits for it; then it commits, and the change goes on.
 */
const api = useCallersWorld(
  { admin: ['ops', 'admin'], machine: ['hotline-off', 'hotline'] },
  { tenants: { hotline: 'hotline', 'hotline-off': 'hotline' } },
);

let listening: ReturnType<typeof listenOnLoopback> | undefined;
/** The app on 127.0.0.1, listening once for the file's tests. */
const loopback = () => (listening ??= listenOnLoopback(api.app));

const THIEF_PASSWORD = 'the thief chose this pass phrase';

/**
 * Waits until a statement of another connection waits for a lock this transaction holds (the person's row: of the
 * change's statements, only its new password writes that row).
 */
async function untilBlocking(client: PoolClient): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_locks where not granted and pg_backend_pid() = any(pg_blocking_pids(pid))`,
    );
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a password change racing an admin’s reset', () => {
  it('does not outlive the reset: no new password, no session, the one-time password stands', async () => {
    const call = await loopback();
    const q = await seedPerson(api.db, {
      tenantId: 'hotline',
      login: 'reset.race',
      role: 'reviewer',
    });
    const signed = await call({ headers: {} }, 'POST', '/v1/session', {
      login: q.login,
      password: q.password,
      code: totpCode(q.totpSecret!, totpStep(Date.now())),
    });
    expect(signed.status).toBe(200);
    const stolen = sessionTokenFrom(signed.headers.get('set-cookie') ?? undefined)!;
    const oneTime = await hashPassword('the one-time password', TEST_PEOPLE_SETTINGS.passwordParams);

    const change = await withTransaction(api.db, async (c) => {
      await c.query(`select 1 from people where id = $1 for update`, [q.personId]);
      const sent = call({ headers: sessionHeaders(stolen) }, 'POST', '/v1/session/password', {
        currentPassword: q.password,
        newPassword: THIEF_PASSWORD,
      });
      await untilBlocking(c);
      // The admin's reset, as POST /v1/admin/people/:id/reset makes it.
      await resetPersonPassword(c, q.personId, {
        passwordHash: oneTime,
        expiresAt: new Date(Date.now() + 3600_000),
      });
      await revokeSessionsOf(c, q.personId, 'password-reset', new Date());
      // Wrapped: a promise answered would be awaited before the commit, which the change waits for.
      return { sent };
    });
    const answered = await change.sent;

    // Whatever the change answered, the reset stands: the one-time password, no second factor, no live session.
    const secrets = await getPersonSecrets(api.db, q.personId);
    expect(await verifyPassword(THIEF_PASSWORD, secrets!.passwordHash)).toBe(false);
    expect(secrets!.passwordHash).toBe(oneTime);
    const { rows } = await api.db.query<{ n: number }>(
      `select count(*)::int as n from person_sessions where person_id = $1 and revoked_at is null`,
      [q.personId],
    );
    expect(rows[0]!.n).toBe(0);
    const renewed = sessionTokenFrom(answered.headers.get('set-cookie') ?? undefined);
    if (renewed !== null) {
      const after = await call({ headers: sessionHeaders(renewed) }, 'GET', '/v1/session');
      expect(after.status).toBe(401);
    }
    expect(answered.status).toBe(401);
    const thief = await call({ headers: {} }, 'POST', '/v1/session', {
      login: q.login,
      password: THIEF_PASSWORD,
    });
    expect(thief.status).toBe(401);
  });

  it('nor does a TOTP enrolment racing a disable: once enabled again, the person has no session of before', async () => {
    const call = await loopback();
    const q = await seedPerson(api.db, {
      tenantId: 'hotline',
      login: 'disable.race',
      role: 'reviewer',
      totp: false,
    });
    const signed = await call({ headers: {} }, 'POST', '/v1/session', {
      login: q.login,
      password: q.password,
    });
    const secret = signed.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret;
    const stolen = sessionTokenFrom(signed.headers.get('set-cookie') ?? undefined)!;

    const enrol = await withTransaction(api.db, async (c) => {
      await c.query(`select 1 from people where id = $1 for update`, [q.personId]);
      const sent = call({ headers: sessionHeaders(stolen) }, 'POST', '/v1/session/totp', {
        code: totpCode(secret, totpStep(Date.now())),
      });
      await untilBlocking(c);
      // The admin's disable, as POST /v1/admin/people/:id/disable makes it.
      await setPersonDisabled(c, q.personId, { disabled: true, reason: 'on leave' }, new Date());
      await revokeSessionsOf(c, q.personId, 'disabled', new Date());
      return { sent };
    });
    const answered = await enrol.sent;
    await setPersonDisabled(api.db, q.personId, { disabled: false, reason: null }, new Date());

    const renewed = sessionTokenFrom(answered.headers.get('set-cookie') ?? undefined);
    if (renewed !== null) {
      const after = await call({ headers: sessionHeaders(renewed) }, 'GET', '/v1/session');
      expect(after.status).toBe(401);
    }
    const { rows } = await api.db.query<{ n: number }>(
      `select count(*)::int as n from person_sessions where person_id = $1 and revoked_at is null`,
      [q.personId],
    );
    expect(rows[0]!.n).toBe(0);
    // Nor did the enrolment take: the session that asked for it was ended before it was written.
    expect(answered.status).toBe(401);
    expect((await getPersonSecrets(api.db, q.personId))!.totpSecretSealed).toBeNull();
  });
});

/** A person's sessions, live or ended. */
const sessionsOf = async (personId: string) =>
  (
    await api.db.query<{ revoked: boolean }>(
      `select revoked_at is not null as revoked from person_sessions where person_id = $1`,
      [personId],
    )
  ).rows;
const asAdmin = (url: string) =>
  api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${api.keys.admin}` } });

/**
 * A sign-in with the right password and code that reads the account, checks both factors, then waits for the
 * person's row, which the test holds while `disable` (made in the test's transaction) is committed. Asserts it lost:
 * 403 account disabled, no cookie, no session row.
 */
async function signInLosingTo(q: TestPerson, disable: (c: PoolClient) => Promise<unknown>): Promise<void> {
  const call = await loopback();
  const race = await withTransaction(api.db, async (c) => {
    await c.query(`select 1 from people where id = $1 for update`, [q.personId]);
    const sent = call({ headers: {} }, 'POST', '/v1/session', {
      login: q.login,
      password: q.password,
      code: totpCode(q.totpSecret!, totpStep(Date.now())),
    });
    await untilBlocking(c);
    await disable(c);
    // Wrapped: a promise answered would be awaited before the commit, which the sign-in waits for.
    return { sent };
  });
  const answered = await race.sent;
  expect(answered.status).toBe(403);
  expect(answered.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_ACCOUNT_DISABLED');
  expect(sessionTokenFrom(answered.headers.get('set-cookie') ?? undefined)).toBeNull();
  expect(await sessionsOf(q.personId)).toEqual([]);
}

describe('a sign-in racing an admin’s disable', () => {
  it('loses: 403 account disabled, no session begun, none live once the person is enabled again', async () => {
    const q = await seedPerson(api.db, { tenantId: 'hotline', login: 'sign-in.race', role: 'reviewer' });
    // The admin's disable, as POST /v1/admin/people/:id/disable makes it.
    await signInLosingTo(q, async (c) => {
      await setPersonDisabled(c, q.personId, { disabled: true, reason: 'on leave' }, new Date());
      await revokeSessionsOf(c, q.personId, 'disabled', new Date());
    });

    const enabled = await asAdmin(`/v1/admin/people/${q.personId}/enable`);
    expect(enabled.json()).toMatchObject({ sessionsEnded: 0, person: { disabledAt: null } });
    expect(await sessionsOf(q.personId)).toEqual([]);
  });

  it('and a session left live across a disable is ended by the enable, never answered again', async () => {
    const q = await seedPerson(api.db, { tenantId: 'hotline', login: 'left.over', role: 'reviewer' });
    await setPersonDisabled(api.db, q.personId, { disabled: true, reason: 'on leave' }, new Date());
    // Begun while the person was disabled (as a sign-in that slipped past the disable did): dead while disabled.
    const leftOver = await seedSession(api.db, q.personId);
    const enabled = await asAdmin(`/v1/admin/people/${q.personId}/enable`);
    expect(enabled.json()).toMatchObject({ sessionsEnded: 1, person: { disabledAt: null } });
    const after = await api.app.inject({ method: 'GET', url: '/v1/session', headers: leftOver.headers });
    expect(after.statusCode).toBe(401);
    expect(await sessionsOf(q.personId)).toEqual([{ revoked: true }]);
    // Enabling again changes nothing: the person's sessions from now on are their own.
    const fresh = await seedSession(api.db, q.personId);
    expect((await asAdmin(`/v1/admin/people/${q.personId}/enable`)).json()).toMatchObject({
      sessionsEnded: 0,
    });
    const live = await api.app.inject({ method: 'GET', url: '/v1/session', headers: fresh.headers });
    expect(live.statusCode).toBe(200);
  });
});

/** Switches the tenant the people of the tests below belong to off (true) or on, as the admin's PATCH does. */
const switchTenant = async (disabled: boolean) => {
  const res = await api.app.inject({
    method: 'PATCH',
    url: '/v1/admin/tenants/hotline-off',
    headers: { authorization: `Bearer ${api.keys.admin}` },
    payload: { disabled },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ disabledAt: string | null; sessionsEnded: number }>();
};

describe('a tenant switched off', () => {
  it('ends its people’s sessions: one live at the switch-off does not work once it is switched on again', async () => {
    const q = await seedPerson(api.db, { tenantId: 'hotline-off', login: 'tenant.off', role: 'reviewer' });
    const live = await seedSession(api.db, q.personId);
    const other = await seedPerson(api.db, { tenantId: 'hotline', login: 'tenant.on', role: 'reviewer' });
    const elsewhere = await seedSession(api.db, other.personId);
    expect(await switchTenant(true)).toMatchObject({ sessionsEnded: 1 });
    const changes = (await listAudit(api.db, { limit: 10_000 })).filter(
      (a) => a.action === 'tenant.changed' && a.subject.id === 'hotline-off',
    );
    // The record keeps its evidence as commitments: that the count is there is what it shows.
    expect(Object.keys(changes.at(-1)?.evidence ?? {})).toContain('sessionsEnded');
    // Switched on again (before: the session answered again, 200): the tenant's key works again, the session not.
    expect(await switchTenant(false)).toMatchObject({ disabledAt: null, sessionsEnded: 0 });
    const after = await api.app.inject({ method: 'GET', url: '/v1/session', headers: live.headers });
    expect(after.statusCode).toBe(401);
    expect(await sessionsOf(q.personId)).toEqual([{ revoked: true }]);
    const key = await api.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${api.keys.machine}` },
    });
    expect(key.statusCode).toBe(200);
    // Another tenant's people keep theirs.
    const kept = await api.app.inject({ method: 'GET', url: '/v1/session', headers: elsewhere.headers });
    expect(kept.statusCode).toBe(200);
  });

  it('lets no sign-in racing the switch-off begin a session that comes back when it is switched on', async () => {
    const q = await seedPerson(api.db, { tenantId: 'hotline-off', login: 'tenant.race', role: 'reviewer' });
    // The switch-off, as PATCH /v1/admin/tenants/:tenantId {disabled: true} makes it (before: the sign-in answered
    // 200, and its session answered again once the tenant was switched on).
    await signInLosingTo(q, (c) => updateTenant(c, 'hotline-off', { disabled: true }, new Date()));
    expect(await switchTenant(false)).toMatchObject({ disabledAt: null, sessionsEnded: 0 });
    expect(await sessionsOf(q.personId)).toEqual([]);
  });

  it('and switching it on ends a session left live from before', async () => {
    const q = await seedPerson(api.db, { tenantId: 'hotline-off', login: 'tenant.left', role: 'reviewer' });
    await switchTenant(true);
    // Begun while the tenant was off (as a sign-in that slipped past an older switch-off did): dead while off.
    const leftOver = await seedSession(api.db, q.personId);
    expect(await switchTenant(false)).toMatchObject({ sessionsEnded: 1 });
    const after = await api.app.inject({ method: 'GET', url: '/v1/session', headers: leftOver.headers });
    expect(after.statusCode).toBe(401);
    // A second switch-on changes nothing.
    const fresh = await seedSession(api.db, q.personId);
    expect(await switchTenant(false)).toMatchObject({ sessionsEnded: 0 });
    const live = await api.app.inject({ method: 'GET', url: '/v1/session', headers: fresh.headers });
    expect(live.statusCode).toBe(200);
  });
});
