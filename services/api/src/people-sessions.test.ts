import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { totpCode, totpStep } from '@mod/people';
import {
  TEST_PASSWORD,
  TEST_PEOPLE_SETTINGS,
  seedPerson,
  sessionHeaders,
  sessionTokenFrom,
  type TestPerson,
} from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { errorCodeOf } from './testing.test-helper.js';

const api = useCallersWorld({ admin: ['ops', 'admin'] }, { tenants: { hotline: 'hotline' } });

const signIn = (body: Record<string, string>, from = '198.51.100.10', headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url: '/v1/session', payload: body, remoteAddress: from, headers });
const inSession = (
  token: string,
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  url: string,
  payload?: object,
  extra: Record<string, string> = {},
) =>
  api.app.inject({
    method,
    url,
    headers: { ...sessionHeaders(token), ...extra },
    ...(payload === undefined ? {} : { payload }),
  });
const tokenOf = (res: LightMyRequestResponse) => sessionTokenFrom(res.headers['set-cookie']);
const codeAt = (secret: string, stepOffset = 0) => totpCode(secret, totpStep(Date.now()) + stepOffset);
let n = 0;
const person = (p: { oneTimePassword?: string; totp?: boolean } = {}) =>
  seedPerson(api.db, { tenantId: 'hotline', login: `person.${++n}`, role: 'reviewer', ...p });

describe('a first sign-in', () => {
  it('with the one-time password must set a password, then enrol TOTP, before anything else', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/admin/people',
      headers: { authorization: `Bearer ${api.keys.admin}` },
      payload: {
        tenantId: 'hotline',
        login: 'Reviewer.First',
        displayName: 'Nguyễn Văn An',
        role: 'reviewer',
      },
    });
    expect(created.statusCode).toBe(201);
    const { person: made, oneTimePassword } = created.json<{
      person: { id: string };
      oneTimePassword: string;
    }>();

    const first = await signIn({ login: 'reviewer.first', password: oneTimePassword });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      stage: 'password',
      person: { id: made.id, login: 'reviewer.first' },
    });
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-mod-session=[A-Za-z0-9_-]{43}; /);
    for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/'])
      expect(cookie.split('; ')).toContain(flag);
    expect(cookie).not.toMatch(/Domain=/i);
    const token = tokenOf(first)!;

    // Nothing else yet: not the API, not even reading its own orders.
    const elsewhere = await inSession(token, 'GET', '/v1/orders');
    expect([elsewhere.statusCode, errorCodeOf(elsewhere)]).toEqual([
      403,
      'MOD_ERR_API_PASSWORD_CHANGE_REQUIRED',
    ]);
    // The rules, said in Vietnamese by default and in English on request.
    const weak = await inSession(token, 'POST', '/v1/session/password', { newPassword: 'short' });
    expect([weak.statusCode, errorCodeOf(weak)]).toEqual([400, 'MOD_ERR_API_WEAK_PASSWORD']);
    expect(weak.json<{ error: { message: string } }>().error.message).toBe(
      'Mật khẩu mới chưa đạt: cần ít nhất 12 ký tự.',
    );
    const weakEn = await inSession(
      token,
      'POST',
      '/v1/session/password',
      { newPassword: 'my reviewer.first pass' },
      { 'accept-language': 'en-GB,en;q=0.9' },
    );
    expect(weakEn.json<{ error: { message: string } }>().error.message).toMatch(/must not contain the login/);

    const changed = await inSession(token, 'POST', '/v1/session/password', { newPassword: TEST_PASSWORD });
    expect(changed.statusCode).toBe(200);
    // The session goes on under a new token: the one-time password's token is dead.
    const chosen = tokenOf(changed)!;
    expect(chosen).not.toBe(token);
    expect((await inSession(token, 'GET', '/v1/session')).statusCode).toBe(401);
    const enrolment = changed.json<{
      stage: string;
      totpEnrolment: { secret: string; otpauthUri: string };
    }>();
    expect(enrolment.stage).toBe('totp');
    expect(enrolment.totpEnrolment.otpauthUri).toMatch(
      /^otpauth:\/\/totp\/Moderation:reviewer\.first\?secret=[A-Z2-7]{32}&/,
    );
    const blocked = await inSession(chosen, 'GET', '/v1/me');
    expect([blocked.statusCode, errorCodeOf(blocked)]).toEqual([403, 'MOD_ERR_API_TOTP_ENROLMENT_REQUIRED']);
    // Asked again, the same secret (it is kept, sealed, until confirmed).
    const again = await inSession(chosen, 'GET', '/v1/session');
    expect(again.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret).toBe(
      enrolment.totpEnrolment.secret,
    );

    const wrong = await inSession(chosen, 'POST', '/v1/session/totp', {
      code: codeAt(enrolment.totpEnrolment.secret, 5),
    });
    expect([wrong.statusCode, errorCodeOf(wrong)]).toEqual([400, 'MOD_ERR_API_TOTP_CODE_WRONG']);
    const enrolled = await inSession(chosen, 'POST', '/v1/session/totp', {
      code: codeAt(enrolment.totpEnrolment.secret),
    });
    expect(enrolled.statusCode).toBe(200);
    expect(enrolled.json()).toMatchObject({ stage: 'full' });
    const full = tokenOf(enrolled)!;
    expect(full).not.toBe(token);
    expect(enrolled.json<{ csrfToken: string }>().csrfToken).not.toBe(
      first.json<{ csrfToken: string }>().csrfToken,
    );
    // The token of the first stages is dead; the new one reaches the API as the person.
    expect((await inSession(chosen, 'GET', '/v1/session')).statusCode).toBe(401);
    const me = await inSession(full, 'GET', '/v1/me');
    expect(me.json()).toMatchObject({
      tenantId: 'hotline',
      role: 'reviewer',
      credential: 'session',
      personId: made.id,
    });

    // The one-time password is spent: it no longer signs in.
    const reused = await signIn({ login: 'reviewer.first', password: oneTimePassword });
    expect([reused.statusCode, errorCodeOf(reused)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
  });
});

describe('sign-in with password and TOTP', () => {
  let p: TestPerson;
  beforeAll(async () => {
    p = await person();
  });

  it('signs in, and refuses the same code a second time (replay), however it is spaced', async () => {
    const code0 = codeAt(p.totpSecret!);
    const ok = await signIn({ login: p.login, password: p.password, code: code0 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ stage: 'full', person: { id: p.personId } });
    expect(ok.json<{ csrfToken: string }>().csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const replay = await signIn({
      login: p.login,
      password: p.password,
      code: `${code0.slice(0, 3)} ${code0.slice(3)}`,
    });
    expect([replay.statusCode, errorCodeOf(replay)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    // The next step's code is new, once; then the current step's is old too.
    expect(
      (await signIn({ login: p.login, password: p.password, code: codeAt(p.totpSecret!, 1) })).statusCode,
    ).toBe(200);
    expect((await signIn({ login: p.login, password: p.password, code: code0 })).statusCode).toBe(401);
    const audit = (await listAudit(api.db, { limit: 10_000 })).filter(
      (r) => r.action === 'person.sign_in_failed' && r.actor.id === p.personId,
    );
    expect(audit.map((r) => r.reason)).toEqual(['replayed-code', 'replayed-code']);
  });

  it('refuses a wrong password, a wrong code, a missing code and an unknown login with one answer', async () => {
    const q = await person();
    const attempts: Record<string, string>[] = [
      { login: q.login, password: 'not the password at all', code: codeAt(q.totpSecret!) },
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 3) },
      { login: q.login, password: q.password },
      { login: 'nobody.here', password: q.password, code: codeAt(q.totpSecret!) },
    ];
    const answers = [];
    for (const a of attempts) {
      const res = await signIn(a, '198.51.100.77');
      expect(res.headers['set-cookie']).toBeUndefined();
      answers.push([res.statusCode, res.json<{ error: { code: string; message: string } }>().error]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    const [status, error] = answers[0]!;
    expect(status).toBe(401);
    expect(error).toMatchObject({ code: 'MOD_ERR_API_SIGN_IN_FAILED' });
    expect((error as { message: string }).message).toMatch(/không đúng/);
    const reasons = (await listAudit(api.db, { limit: 10_000 }))
      .filter(
        (r) =>
          r.action === 'person.sign_in_failed' && (r.actor.id === q.personId || r.actor.id === 'anonymous'),
      )
      .map((r) => r.reason);
    expect(reasons).toEqual(['wrong-password', 'wrong-code', 'code-missing', 'unknown-login']);
  });

  it('locks a login out at the guessing address only: the person signs in from elsewhere', async () => {
    const q = await person();
    for (let i = 0; i < 5; i++) {
      const res = await signIn({ login: q.login, password: `wrong guess number ${i}` }, '203.0.113.66');
      expect(res.statusCode).toBe(401);
    }
    const locked = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!) },
      '203.0.113.66',
    );
    expect([locked.statusCode, errorCodeOf(locked)]).toEqual([429, 'MOD_ERR_API_RATE_LIMITED']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    const elsewhere = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!) },
      '192.0.2.44',
    );
    expect(elsewhere.statusCode).toBe(200);
    // Nor does the guesser's address lock anyone else out until it fails at their login too.
    const r = await person();
    expect(
      (await signIn({ login: r.login, password: r.password, code: codeAt(r.totpSecret!) }, '203.0.113.66'))
        .statusCode,
    ).toBe(200);
  });

  it('lets no more guesses through than the lock-out allows, however many arrive at once', async () => {
    const q = await person({ totp: false });
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        signIn({ login: q.login, password: `guess ${i}` }, '203.0.113.67'),
      ),
    );
    // Each counts the others in flight: at most five are checked (racing ones may all be refused).
    const statuses = guesses.map((r) => r.statusCode);
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - checked);
    // Refused attempts count for nothing: one by one, the guesser gets the rest of the five, then no more.
    for (let i = checked; i < 5; i++)
      expect((await signIn({ login: q.login, password: `late ${i}` }, '203.0.113.67')).statusCode).toBe(401);
    expect((await signIn({ login: q.login, password: q.password }, '203.0.113.67')).statusCode).toBe(429);
  });

  it('answers 503 with a coded error when the API has no key to open TOTP secrets', async () => {
    const bare = await api.world.build({ people: { secretKey: null } });
    const res = await bare.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { login: 'x.y.z', password: 'whatever it is' },
    });
    expect([res.statusCode, errorCodeOf(res)]).toEqual([503, 'MOD_ERR_API_PEOPLE_KEY_MISSING']);
  });
});

describe('a session', () => {
  it('needs its CSRF token for every state-changing request; reads need none', async () => {
    const admin = await seedPerson(api.db, {
      tenantId: 'ops',
      login: 'admin.csrf',
      role: 'admin',
    });
    const ok = await signIn({
      login: admin.login,
      password: admin.password,
      code: codeAt(admin.totpSecret!),
    });
    const token = tokenOf(ok)!;
    const csrf = ok.json<{ csrfToken: string }>().csrfToken;
    const cookie = { cookie: `__Host-mod-session=${token}` };
    const create = (headers: Record<string, string>, id: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/admin/tenants',
        headers,
        payload: { id, kind: 'platform', name: 'P' },
      });
    const refused = await create(cookie, 'csrf-none');
    expect([refused.statusCode, errorCodeOf(refused)]).toEqual([403, 'MOD_ERR_API_CSRF']);
    const wrong = await create(
      { ...cookie, 'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` },
      'csrf-wrong',
    );
    expect([wrong.statusCode, errorCodeOf(wrong)]).toEqual([403, 'MOD_ERR_API_CSRF']);
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/admin/tenants', headers: cookie })).statusCode,
    ).toBe(200);
    const created = await create({ ...cookie, 'x-csrf-token': csrf }, 'csrf-ok');
    expect(created.statusCode).toBe(201);
    // Nothing was made without the token; what was made names the person, not a key.
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/admin/tenants?limit=100', headers: cookie })).body,
    ).not.toContain('csrf-none');
    const record = (await listAudit(api.db, { subjectId: 'csrf-ok' })).find(
      (r) => r.action === 'tenant.created',
    );
    expect(record).toMatchObject({
      actor: { kind: 'person', id: admin.personId },
      role: 'admin',
      tenantId: 'ops',
    });
    expect(Object.keys(record!.evidence)).not.toContain('credential');
  });

  it('is for people: an API key on a session route gets 403; keys keep working elsewhere', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/session',
      headers: { authorization: `Bearer ${api.keys.admin}` },
    });
    expect([res.statusCode, errorCodeOf(res)]).toEqual([403, 'MOD_ERR_API_SESSION_REQUIRED']);
    const me = await api.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${api.keys.admin}` },
    });
    expect(me.json()).toMatchObject({ credential: 'api-key', personId: null });
  });

  it('ends after its idle timeout and at its absolute end, and on sign-out', async () => {
    let clock = Date.now();
    const timed = await api.world.build({
      now: () => new Date(clock),
      people: { ...TEST_PEOPLE_SETTINGS, idleTimeoutMs: 60_000, absoluteTimeoutMs: 300_000 },
    });
    const q = await person();
    const login = await timed.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { login: q.login, password: q.password, code: codeAt(q.totpSecret!) },
    });
    const token = tokenOf(login)!;
    expect(String(login.headers['set-cookie'])).toContain('Max-Age=300');
    const get = () => timed.inject({ method: 'GET', url: '/v1/session', headers: sessionHeaders(token) });
    // Used every 50 s, it lives on, until its absolute end.
    for (let t = 50_000; t < 300_000; t += 50_000) {
      clock += 50_000;
      expect((await get()).statusCode, `at ${t} ms`).toBe(200);
    }
    clock += 50_000;
    const ended = await get();
    expect(ended.statusCode).toBe(401);
    expect(String(ended.headers['set-cookie'])).toContain('Max-Age=0');

    const again = await timed.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { login: q.login, password: q.password, code: totpCode(q.totpSecret!, totpStep(clock)) },
    });
    const idle = tokenOf(again)!;
    clock += 61_000;
    expect(
      (await timed.inject({ method: 'GET', url: '/v1/session', headers: sessionHeaders(idle) })).statusCode,
    ).toBe(401);

    const r = await person();
    const signedIn = tokenOf(
      await signIn({ login: r.login, password: r.password, code: codeAt(r.totpSecret!) }),
    )!;
    const out = await inSession(signedIn, 'DELETE', '/v1/session');
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await inSession(signedIn, 'GET', '/v1/session')).statusCode).toBe(401);
    const audit = (await listAudit(api.db, { subjectId: r.personId })).map((x) => [x.action, x.actor.kind]);
    expect(audit).toEqual([
      ['person.signed_in', 'person'],
      ['person.signed_out', 'person'],
    ]);
  });

  it('changes its password with the current one, and ends the other sessions', async () => {
    const q = await person();
    const a = tokenOf(await signIn({ login: q.login, password: q.password, code: codeAt(q.totpSecret!) }))!;
    const b = tokenOf(
      await signIn({ login: q.login, password: q.password, code: codeAt(q.totpSecret!, 1) }),
    )!;
    const wrong = await inSession(a, 'POST', '/v1/session/password', {
      currentPassword: 'not my password',
      newPassword: 'a brand new pass phrase',
    });
    expect([wrong.statusCode, errorCodeOf(wrong)]).toEqual([403, 'MOD_ERR_API_CURRENT_PASSWORD_WRONG']);
    const same = await inSession(a, 'POST', '/v1/session/password', {
      currentPassword: q.password,
      newPassword: q.password,
    });
    expect([same.statusCode, errorCodeOf(same)]).toEqual([400, 'MOD_ERR_API_SAME_PASSWORD']);
    const ok = await inSession(a, 'POST', '/v1/session/password', {
      currentPassword: q.password,
      newPassword: 'a brand new pass phrase',
    });
    expect(ok.json()).toMatchObject({ stage: 'full' });
    // It goes on under a new token: a copy of the old one (lifted from this browser, the theft a password change
    // answers) is worth nothing, as is every other session. The record names the session ended and the new one.
    const renewed = tokenOf(ok)!;
    for (const old of [a, b]) expect((await inSession(old, 'GET', '/v1/session')).statusCode).toBe(401);
    expect((await inSession(renewed, 'GET', '/v1/me')).json()).toMatchObject({ personId: q.personId });
    const audit = await listAudit(api.db, { subjectId: q.personId });
    const changed = audit.find((x) => x.action === 'person.password_changed')!;
    expect(Object.keys(changed.evidence).sort()).toEqual(['previousSession', 'session', 'sessionsEnded']);
  });
});
