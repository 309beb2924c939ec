import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '@mod/db';
import { verifySession, type ActiveSession, type SessionCheck } from '@mod/db/people';
import {
  DEFAULT_LOCKOUT_POLICY,
  csrfTokenFor,
  isSessionTokenShaped,
  sameSecret,
  tokenDigest,
  type Argon2Params,
  type LockoutPolicy,
  type SecretKey,
  type SessionStage,
} from '@mod/people';
import type { ApiError } from './errors.js';
import { peopleError } from './people-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The person's session, when the request authenticated with the session cookie (and its token). */
    personSession: { session: ActiveSession; token: string } | null;
  }
  interface FastifyContextConfig {
    /** Only people (session cookie) may call this route; API keys and certificates get 403. */
    sessionOnly?: true;
    /** Session stages this route accepts. Default `['full']`: a first sign-in reaches nothing else. */
    sessionStages?: readonly SessionStage[];
  }
}

/**
 * The session cookie. `__Host-` makes browsers insist on `Secure`, `Path=/` and no `Domain` (no subdomain can set
 * or shadow it); `HttpOnly` keeps it from scripts; `SameSite=Strict` keeps it off every cross-site request.
 */
export const SESSION_COOKIE = '__Host-mod-session';
/** The header a session-authenticated state-changing request must carry the session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How people's sessions and sign-ins behave (`AppDeps.people`). */
export interface PeopleSettings {
  /** Seals TOTP secrets (`MOD_PEOPLE_SECRET_KEY`). Without it, sign-in and enrolment answer 503. */
  secretKey: SecretKey | null;
  /** A session unused this long ends. Default 30 minutes. */
  idleTimeoutMs: number;
  /** A session ends this long after it began, used or not. Default 12 hours. */
  absoluteTimeoutMs: number;
  /** Failed sign-ins (`@mod/people`). Default 5 per login and address, 30 per address, 15 minutes. */
  lockout: LockoutPolicy;
  /** How long an admin-issued one-time password works. Default 72 hours. */
  oneTimePasswordTtlMs: number;
  /** The issuer authenticator apps show next to the code. Default `Moderation`. */
  totpIssuer: string;
  /** argon2id cost of new password hashes. Default OWASP (19 MiB, t = 2, p = 1); tests lower it. */
  passwordParams?: Argon2Params;
}

export const DEFAULT_PEOPLE_SETTINGS: PeopleSettings = {
  secretKey: null,
  idleTimeoutMs: 30 * 60_000,
  absoluteTimeoutMs: 12 * 3600_000,
  lockout: DEFAULT_LOCKOUT_POLICY,
  oneTimePasswordTtlMs: 72 * 3600_000,
  totpIssuer: 'Moderation',
};

/** A cookie's value from a `Cookie` header (the first of that name), or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

/** The `Set-Cookie` value of a session token, lasting at most `maxAgeMs`. */
export function sessionCookie(token: string, maxAgeMs: number): string {
  const maxAgeS = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${SESSION_COOKIE}=${token}; Max-Age=${maxAgeS}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/** The `Set-Cookie` value that removes the session cookie (sign-out, a dead session). */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/** The session token the request's cookie carries, when it has a token's shape. */
export function sessionTokenOf(req: FastifyRequest): string | null {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  return token !== null && isSessionTokenShaped(token) ? token : null;
}

/**
 * The header the console sends on the requests it makes by itself (the desk refreshing its orders): such a request
 * reads as any other, but does not count as the person's use of the session, which still goes idle.
 */
export const BACKGROUND_HEADER = 'x-background-refresh';

/** Whether the request says the browser made it on its own (`BACKGROUND_HEADER: 1`). */
export const isBackgroundRequest = (req: FastifyRequest): boolean => req.headers[BACKGROUND_HEADER] === '1';

/**
 * Checks a session cookie's token: the session, its person and tenant must be live (see `verifySession`). A
 * background request (`isBackgroundRequest`) leaves the session's last use as it was.
 */
export async function checkSessionToken(
  db: Pool,
  token: string,
  now: Date,
  idleTimeoutMs: number,
  background = false,
): Promise<SessionCheck> {
  return verifySession(db, tokenDigest(token), now, idleTimeoutMs, !background);
}

/**
 * What a live session may not do on this route, or null: a stage the route does not accept (a first sign-in must
 * change its password, then enrol TOTP), or a state-changing request without the session's CSRF token in
 * `x-csrf-token` (compared in constant time). The CSRF check comes first: a forged request learns nothing.
 */
export function sessionRefusal(req: FastifyRequest, session: ActiveSession, token: string): ApiError | null {
  if (!SAFE_METHODS.has(req.method)) {
    const presented = req.headers[CSRF_HEADER];
    if (typeof presented !== 'string' || !sameSecret(presented, csrfTokenFor(token)))
      return peopleError(req, 'MOD_ERR_API_CSRF', 'csrf');
  }
  const stages = req.routeOptions.config.sessionStages ?? ['full'];
  if (stages.includes(session.stage)) return null;
  if (session.stage === 'password')
    return peopleError(req, 'MOD_ERR_API_PASSWORD_CHANGE_REQUIRED', 'password-change-required');
  if (session.stage === 'totp')
    return peopleError(req, 'MOD_ERR_API_TOTP_ENROLMENT_REQUIRED', 'totp-enrolment-required');
  return peopleError(req, 'MOD_ERR_API_SESSION_STAGE', 'not-in-this-step');
}

/** Removes the session cookie from the client when the session it carries is dead. */
export function forgetDeadSession(reply: FastifyReply): void {
  reply.header('set-cookie', clearedSessionCookie());
}
