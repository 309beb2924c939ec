import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ActiveSession } from '@mod/db/people';
import { csrfTokenFor, newSessionToken, type SessionStage } from '@mod/people';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  clearedSessionCookie,
  readCookie,
  sessionCookie,
  sessionRefusal,
} from './session-auth.js';

const session = (stage: SessionStage): ActiveSession => ({
  id: 's-1',
  personId: 'p-1',
  stage,
  login: 'reviewer.an',
  displayName: 'An',
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T12:00:00.000Z',
  idleExpiresAt: '2026-01-01T00:30:00.000Z',
});

/** The bits of a request `sessionRefusal` reads. */
const request = (method: string, headers: Record<string, string>, stages?: readonly SessionStage[]) =>
  ({
    method,
    headers,
    routeOptions: { config: stages === undefined ? {} : { sessionStages: stages } },
  }) as unknown as FastifyRequest;

describe('session cookie', () => {
  it('is a __Host- cookie: Secure, HttpOnly, SameSite=Strict, Path=/, no Domain, with its lifetime', () => {
    const cookie = sessionCookie('tok', 12 * 3600_000);
    const [pair, ...attributes] = cookie.split('; ');
    expect(pair).toBe(`${SESSION_COOKIE}=tok`);
    expect(SESSION_COOKIE.startsWith('__Host-')).toBe(true);
    expect(attributes.sort()).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict', 'Secure']);
    expect(clearedSessionCookie()).toContain('Max-Age=0');
  });

  it('is read from a Cookie header among others, first of its name', () => {
    expect(readCookie(`a=1; ${SESSION_COOKIE}=abc; b=2`, SESSION_COOKIE)).toBe('abc');
    expect(readCookie(`${SESSION_COOKIE}=x; ${SESSION_COOKIE}=y`, SESSION_COOKIE)).toBe('x');
    expect(readCookie('mod-session=abc', SESSION_COOKIE)).toBeNull();
    expect(readCookie(undefined, SESSION_COOKIE)).toBeNull();
  });
});

describe('what a session may do on a route', () => {
  const token = newSessionToken();
  const csrf = { [CSRF_HEADER]: csrfTokenFor(token) };

  it('a full session reads freely and changes state only with its CSRF token', () => {
    expect(sessionRefusal(request('GET', {}), session('full'), token)).toBeNull();
    expect(sessionRefusal(request('POST', csrf), session('full'), token)).toBeNull();
    const wrong: Record<string, string>[] = [
      {},
      { [CSRF_HEADER]: '' },
      { [CSRF_HEADER]: csrfTokenFor(newSessionToken()) },
    ];
    for (const headers of wrong)
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
        expect(sessionRefusal(request(method, headers), session('full'), token)?.code).toBe(
          'MOD_ERR_API_CSRF',
        );
  });

  it('a first sign-in reaches only the routes of its stage, and says what to do, in Vietnamese unless asked', () => {
    const refused = sessionRefusal(request('GET', {}), session('password'), token);
    expect(refused).toMatchObject({ code: 'MOD_ERR_API_PASSWORD_CHANGE_REQUIRED', statusCode: 403 });
    expect(refused?.message).toMatch(/mật khẩu/);
    const english = sessionRefusal(request('GET', { 'accept-language': 'en' }), session('totp'), token);
    expect(english).toMatchObject({ code: 'MOD_ERR_API_TOTP_ENROLMENT_REQUIRED' });
    expect(english?.message).toMatch(/authenticator/);
    expect(
      sessionRefusal(request('POST', csrf, ['password', 'full']), session('password'), token),
    ).toBeNull();
    expect(sessionRefusal(request('POST', csrf, ['totp']), session('full'), token)?.code).toBe(
      'MOD_ERR_API_SESSION_STAGE',
    );
    // The CSRF check comes first: a forged request learns nothing of the session's stage.
    expect(sessionRefusal(request('POST', {}, ['full']), session('password'), token)?.code).toBe(
      'MOD_ERR_API_CSRF',
    );
  });
});
