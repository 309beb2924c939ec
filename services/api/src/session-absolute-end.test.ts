import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '@mod/people';
import {
  TEST_PEOPLE_SETTINGS,
  currentCode,
  seedPerson,
  sessionHeaders,
  sessionTokenFrom,
} from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * A session that goes on under a new token (a password change, TOTP enrolment) is the same session: it ends when
 * the one it replaces would have, however often the password is changed. Over HTTP (inject) on a real database,
 * with the API's clock moved on by hand.
 */
const api = useCallersWorld({}, { tenants: { hotline: 'hotline' } });
const ABSOLUTE_MS = 300_000;

describe('a session renewed under a new token', () => {
  it('keeps the absolute end it began with, through the first sign-in and every password change', async () => {
    let clock = Date.now();
    const timed = await api.world.build({
      now: () => new Date(clock),
      people: { ...TEST_PEOPLE_SETTINGS, idleTimeoutMs: 200_000, absoluteTimeoutMs: ABSOLUTE_MS },
    });
    const q = await seedPerson(api.db, {
      tenantId: 'hotline',
      login: 'renewed.person',
      role: 'reviewer',
      oneTimePassword: 'a one-time password given',
    });
    const post = (token: string, url: string, payload: object) =>
      timed.inject({ method: 'POST', url, headers: sessionHeaders(token), payload });
    /** The answer's absolute end, the cookie's lifetime in seconds, and the new token. */
    const renewal = (res: LightMyRequestResponse) => {
      expect(res.statusCode, res.body).toBe(200);
      return {
        expiresAt: res.json<{ expiresAt: string }>().expiresAt,
        maxAge: /Max-Age=(\d+)/.exec(String(res.headers['set-cookie']))?.[1],
        token: sessionTokenFrom(res.headers['set-cookie'])!,
      };
    };

    const first = renewal(
      await timed.inject({
        method: 'POST',
        url: '/v1/session',
        payload: { login: q.login, password: q.password },
      }),
    );
    const end = new Date(clock + ABSOLUTE_MS).toISOString();
    expect([first.expiresAt, first.maxAge]).toEqual([end, '300']);

    clock += 100_000;
    const chosen = renewal(
      await post(first.token, '/v1/session/password', { newPassword: 'pass phrase one' }),
    );
    expect([chosen.expiresAt, chosen.maxAge]).toEqual([end, '200']);
    const secret = (
      await timed.inject({ method: 'GET', url: '/v1/session', headers: sessionHeaders(chosen.token) })
    ).json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret;

    clock += 100_000;
    const code = totpCode(secret, totpStep(clock));
    const enrolled = renewal(await post(chosen.token, '/v1/session/totp', { code }));
    expect([enrolled.expiresAt, enrolled.maxAge]).toEqual([end, '100']);

    // Changed again and again, the password keeps the session going no longer than its first twelve hours.
    let token = enrolled.token;
    const changes = [
      ['pass phrase one', 'pass phrase two', '60'],
      ['pass phrase two', 'pass phrase three', '20'],
    ] as const;
    for (const [current, next, secondsLeft] of changes) {
      clock += 40_000;
      const changed = renewal(
        await post(token, '/v1/session/password', { currentPassword: current, newPassword: next }),
      );
      expect([changed.expiresAt, changed.maxAge]).toEqual([end, secondsLeft]);
      token = changed.token;
    }
    clock += 20_001;
    const ended = await timed.inject({ method: 'GET', url: '/v1/session', headers: sessionHeaders(token) });
    expect(ended.statusCode).toBe(401);
    // A sign-in then begins a session of its own, with a full absolute timeout.
    const again = await timed.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { login: q.login, password: 'pass phrase three', code: currentCode(secret, clock) },
    });
    expect(renewal(again).expiresAt).toBe(new Date(clock + ABSOLUTE_MS).toISOString());
  });
});
