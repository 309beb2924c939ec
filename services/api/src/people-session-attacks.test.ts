import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { totpCode, totpStep } from '@mod/people';
import { seedPerson, sessionHeaders, sessionTokenFrom } from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { errorCodeOf } from './testing.test-helper.js';

/** An outsider's attacks on people's sessions, each through the real API. */
const api = useCallersWorld({ admin: ['ops', 'admin'] }, { tenants: { hotline: 'hotline' } });

const signIn = (body: Record<string, string>, from = '198.51.100.20') =>
  api.app.inject({ method: 'POST', url: '/v1/session', payload: body, remoteAddress: from });
const inSession = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({
    method,
    url,
    headers: sessionHeaders(token),
    ...(payload === undefined ? {} : { payload }),
  });
const tokenOf = (res: LightMyRequestResponse) => sessionTokenFrom(res.headers['set-cookie']);
const codeAt = (secret: string, stepOffset = 0) => totpCode(secret, totpStep(Date.now()) + stepOffset);
let n = 0;
const person = (p: { totp?: boolean } = {}) =>
  seedPerson(api.db, { tenantId: 'hotline', login: `attacked.${++n}`, role: 'reviewer', ...p });

describe('TOTP enrolment', () => {
  it('ends every session begun before it: a stale enrolment session cannot replace the second factor', async () => {
    // The person chose a password but has not enrolled yet; an attacker who learnt that password signs in too.
    const q = await person({ totp: false });
    const stolen = await signIn({ login: q.login, password: q.password }, '203.0.113.90');
    expect(stolen.json()).toMatchObject({ stage: 'totp' });
    const attacker = tokenOf(stolen)!;

    // The person enrols their authenticator in their own session.
    const own = await signIn({ login: q.login, password: q.password });
    const secret = own.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret;
    const enrolled = await inSession(tokenOf(own)!, 'POST', '/v1/session/totp', { code: codeAt(secret) });
    expect(enrolled.json()).toMatchObject({ stage: 'full' });

    // From now on the account needs the person's second factor: the attacker's session is over, at once.
    const fresh = await inSession(attacker, 'GET', '/v1/session');
    expect([fresh.statusCode, errorCodeOf(fresh)]).toEqual([401, 'MOD_ERR_API_UNAUTHENTICATED']);
    const hijack = await inSession(attacker, 'POST', '/v1/session/totp', { code: codeAt(secret, 1) });
    expect(hijack.statusCode).toBe(401);
    // The person's authenticator still signs them in; the enrolment's audit record notes the sessions it ended.
    const again = await signIn({ login: q.login, password: q.password, code: codeAt(secret, 1) });
    expect(again.json()).toMatchObject({ stage: 'full' });
    const record = (await listAudit(api.db, { subjectId: q.personId })).find(
      (r) => r.action === 'person.totp_enrolled',
    );
    expect(Object.keys(record!.evidence)).toContain('sessionsEnded');
  });
});

describe('a TOTP secret pending enrolment', () => {
  it('is shown to one session only: a session begun with a stolen password never learns the one the person enrols', async () => {
    const q = await person({ totp: false });
    // The attacker signs in with the password first and notes the secret offered, then waits.
    const stolen = await signIn({ login: q.login, password: q.password }, '203.0.113.91');
    const seen = stolen.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret;
    // The person signs in and is offered a secret of their own, which they enrol.
    const own = await signIn({ login: q.login, password: q.password });
    const secret = own.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret;
    expect(secret).not.toBe(seen);
    const again = await inSession(tokenOf(own)!, 'GET', '/v1/session');
    expect(again.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret).toBe(secret);
    const enrolled = await inSession(tokenOf(own)!, 'POST', '/v1/session/totp', { code: codeAt(secret) });
    expect(enrolled.json()).toMatchObject({ stage: 'full' });
    // The password and the secret the attacker saw sign nobody in; the person's own secret does.
    const attack = await signIn(
      { login: q.login, password: q.password, code: codeAt(seen, 1) },
      '203.0.113.91',
    );
    expect([attack.statusCode, errorCodeOf(attack)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    const back = await signIn({ login: q.login, password: q.password, code: codeAt(secret, 1) });
    expect(back.json()).toMatchObject({ stage: 'full' });
  });
});

describe('the second factor', () => {
  it('cannot be guessed from many addresses: wrong codes of a login are limited whatever the address', async () => {
    // The attacker has the password (phished, reused) and spreads TOTP guesses over addresses (an IPv6 /48 holds
    // 65,536 /64s), each under the per-address lock-out: a million codes, three of them right at any moment.
    const q = await person();
    for (let i = 0; i < 10; i++) {
      const guess = await signIn(
        { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 5 + i) },
        `2001:db8:${i.toString(16)}::1`,
      );
      expect([guess.statusCode, errorCodeOf(guess)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    }
    // The next code is not even checked, from anywhere, until the window has passed (it fails as any other).
    const lucky = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!) },
      '2001:db8:ff::1',
    );
    expect([lucky.statusCode, errorCodeOf(lucky)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    expect(lucky.headers['set-cookie']).toBeUndefined();
    // Someone without the password learns nothing of it: the same answer as any wrong password.
    const outsider = await signIn({ login: q.login, password: 'not the password at all' }, '192.0.2.200');
    expect([outsider.statusCode, errorCodeOf(outsider)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
  });

  it("once a login's codes are locked, tells a password guesser nothing: the right password answers as a wrong one", async () => {
    // A guesser spreads candidate passwords over addresses, each with some code. Only the right candidate reaches
    // the code check, so after ten rounds that login's codes are locked, and its next answer must not differ.
    const q = await person();
    for (let i = 0; i < 10; i++)
      await signIn(
        { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 5 + i) },
        `2001:db8:1${i.toString(16)}::1`,
      );
    const answer = (res: LightMyRequestResponse) => [
      res.statusCode,
      errorCodeOf(res),
      res.headers['retry-after'] ?? null,
      res.headers['set-cookie'] ?? null,
    ];
    const wrong = await signIn(
      { login: q.login, password: 'a wrong candidate phrase', code: '123456' },
      '192.0.2.210',
    );
    const right = await signIn({ login: q.login, password: q.password, code: '123456' }, '192.0.2.211');
    const rightAndCode = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!) },
      '192.0.2.212',
    );
    expect(answer(wrong)).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED', null, null]);
    expect(answer(right)).toEqual(answer(wrong));
    // The code is not checked while locked, so even the right one signs nobody in, and is told nothing more.
    expect(answer(rightAndCode)).toEqual(answer(wrong));
    const failed = (await listAudit(api.db, { limit: 10_000 })).filter(
      (r) => r.action === 'person.sign_in_failed' && r.actor.id === q.personId,
    );
    // The audit log still says why, for the admins.
    expect(failed.map((r) => r.reason)).toContain('code-locked');
  });
});

describe('a sign-in racing an admin reset', () => {
  it('starts no session once the reset has ended every session: the old password and code sign nobody in', async () => {
    const q = await person();
    // The reset lands while the sign-in is between reading the account and starting its session.
    let reset: Promise<LightMyRequestResponse> | null = null;
    const racing = new Proxy(api.db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return async (text: unknown, values?: unknown) => {
          const rows = await (target.query as (t: unknown, v?: unknown) => Promise<unknown>)(text, values);
          if (reset === null && String(text).includes('api:sign-in-account')) {
            reset = api.app.inject({
              method: 'POST',
              url: `/v1/admin/people/${q.personId}/reset`,
              headers: { authorization: `Bearer ${api.keys.admin}` },
            });
            expect((await reset).json()).toMatchObject({ sessionsEnded: 0 });
          }
          return rows;
        };
      },
    });
    const app = await api.world.build({ db: racing });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { login: q.login, password: q.password, code: codeAt(q.totpSecret!) },
      remoteAddress: '203.0.113.92',
    });
    expect(reset).not.toBeNull();
    expect([res.statusCode, errorCodeOf(res)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    expect(res.headers['set-cookie']).toBeUndefined();
    const live = await api.db.query(
      'select count(*)::int as n from person_sessions where person_id = $1 and revoked_at is null',
      [q.personId],
    );
    expect(live.rows[0]).toEqual({ n: 0 });
    const failed = (await listAudit(api.db, { limit: 10_000 })).filter(
      (r) => r.action === 'person.sign_in_failed' && r.actor.id === q.personId,
    );
    expect(failed.map((r) => r.reason)).toEqual(['credentials-changed']);
  });
});

describe('a stolen session', () => {
  it('cannot guess the current password from many addresses: wrong ones are limited per login', async () => {
    // The thief holds the cookie (and its CSRF token) and spreads guesses of the current password over addresses,
    // each under the per-address lock-out, to take the account over by changing it.
    const q = await person();
    const signedIn = await signIn({ login: q.login, password: q.password, code: codeAt(q.totpSecret!) });
    const token = tokenOf(signedIn)!;
    const change = (currentPassword: string, from: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/session/password',
        headers: sessionHeaders(token),
        payload: { currentPassword, newPassword: 'the thief chose this phrase' },
        remoteAddress: from,
      });
    for (let i = 0; i < 10; i++) {
      const guess = await change(`guess number ${i} of many`, `2001:db8:2${i.toString(16)}::1`);
      expect([guess.statusCode, errorCodeOf(guess)]).toEqual([403, 'MOD_ERR_API_CURRENT_PASSWORD_WRONG']);
    }
    // The right one, from yet another address, is not even checked until the window has passed.
    const lucky = await change(q.password, '2001:db8:2ff::1');
    expect([lucky.statusCode, errorCodeOf(lucky)]).toEqual([429, 'MOD_ERR_API_RATE_LIMITED']);
    expect(lucky.headers['set-cookie']).toBeUndefined();
    // The person's password stands, and they still sign in (from anywhere: outsiders cannot trip this limit).
    const own = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 1) },
      '192.0.2.77',
    );
    expect(own.json()).toMatchObject({ stage: 'full' });
  });
});
