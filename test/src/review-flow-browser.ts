import { expect } from 'vitest';
import { totpCode, totpStep } from '@mod/people';

/**
 * What the review-flow test needs of a browser and an authenticator app, over real HTTP to the API on loopback:
 * a cookie jar of one cookie (the session's), the CSRF token the session answers (sent as `x-csrf-token` on
 * state-changing requests, as the console does), and TOTP codes computed from the secret the enrolment showed
 * (read from its `otpauth://` URI, as an app scanning the QR code reads it).
 */

const SESSION_COOKIE = '__Host-mod-session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  /** The body as JSON (an error answer is `{error: {code, message}}`). */
  json<T = unknown>(): T;
  /** `[status, error code]` of an error answer, for one-line assertions. */
  refusal(): [number, string | undefined];
}

export interface CallOptions {
  body?: unknown;
  /** Leave out the CSRF header even on a state-changing request (a forged request). */
  withoutCsrf?: true;
}

/** One browser tab's view of the API: its session cookie and CSRF token. */
export interface Browser {
  call(method: string, path: string, o?: CallOptions): Promise<Answer>;
  /** The `Set-Cookie` header of the last answer that set the session cookie. */
  readonly lastSetCookie: string | null;
  readonly signedIn: boolean;
}

async function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function answerOf(res: Response): Promise<Answer> {
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = <T>() => JSON.parse(bytes.toString('utf8')) as T;
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    json,
    refusal: () => [res.status, json<{ error?: { code?: string } }>().error?.code],
  };
}

/** A browser with an empty cookie jar, talking to the API at `baseUrl` (loopback). */
export function createBrowser(baseUrl: string): Browser {
  let token: string | null = null;
  let csrf: string | null = null;
  let lastSetCookie: string | null = null;
  return {
    get lastSetCookie() {
      return lastSetCookie;
    },
    get signedIn() {
      return token !== null;
    },
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { accept: 'application/json, image/*' };
      if (token !== null) headers['cookie'] = `${SESSION_COOKIE}=${token}`;
      if (csrf !== null && UNSAFE.has(method) && o.withoutCsrf !== true) headers['x-csrf-token'] = csrf;
      const res = await send(baseUrl, method, path, headers, o.body);
      for (const c of res.headers.getSetCookie()) {
        const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
        if (m === null) continue;
        lastSetCookie = c;
        token = m[1] === '' ? null : (m[1] ?? null);
        if (token === null) csrf = null;
      }
      const answer = await answerOf(res);
      // The session routes answer the (new) CSRF token; a page keeps it for its next requests.
      if (path.startsWith('/v1/session') && res.ok) {
        const body = answer.json<{ csrfToken?: string }>();
        if (typeof body.csrfToken === 'string') csrf = body.csrfToken;
      }
      return answer;
    },
  };
}

/** A machine's call with its API key (the admin who makes accounts, oversight reads). */
export async function callWithKey(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  return answerOf(await send(baseUrl, method, path, { authorization: `Bearer ${key}` }, body));
}

/** A person as the test knows them after their first sign-in: what they typed and what their app holds. */
export interface EnrolledPerson {
  personId: string;
  tenantId: string;
  login: string;
  password: string;
  /** The TOTP secret read from the enrolment's `otpauth://` URI. */
  totpSecret: string;
  /** The TOTP step of the code that confirmed enrolment: a sign-in needs a later one. */
  enrolledStep: number;
  /** The browser the enrolment finished in: signed in (stage full) until it signs out. */
  session: Browser;
}

/** The code an authenticator app shows now. */
export const codeNow = (secret: string): string => totpCode(secret, totpStep(Date.now()));

/**
 * An admin makes a person (`POST /v1/admin/people`, answering a one-time password once), who then signs in with
 * it in a browser, sets a new password and enrols TOTP with a code from their app: every step as the console
 * takes it, asserted on the way (stage, cookie attributes).
 */
export async function enrolPerson(
  baseUrl: string,
  adminKey: string,
  p: { tenantId: string; login: string; role: 'reviewer' | 'curator' | 'authority' | 'hotline' },
): Promise<EnrolledPerson> {
  const made = await callWithKey(baseUrl, adminKey, 'POST', '/v1/admin/people', {
    tenantId: p.tenantId,
    login: p.login,
    displayName: `Test ${p.login}`,
    role: p.role,
  });
  expect(made.status, JSON.stringify(made.json())).toBe(201);
  const { person, oneTimePassword } = made.json<{ person: { id: string }; oneTimePassword: string }>();

  const browser = createBrowser(baseUrl);
  const first = await browser.call('POST', '/v1/session', {
    body: { login: p.login, password: oneTimePassword },
  });
  expect(first.status, JSON.stringify(first.json())).toBe(200);
  expect(first.json()).toMatchObject({ stage: 'password', person: { id: person.id, role: p.role } });
  expectSessionCookie(browser.lastSetCookie);
  // A first sign-in reaches nothing but the password change.
  expect((await browser.call('GET', '/v1/cases')).refusal()).toEqual([
    403,
    'MOD_ERR_API_PASSWORD_CHANGE_REQUIRED',
  ]);

  // Not containing the login (a password rule).
  const password = `a long pass phrase of ${p.role} ${p.tenantId} ${Math.random().toString(36).slice(2)}`;
  const changed = await browser.call('POST', '/v1/session/password', { body: { newPassword: password } });
  expect(changed.status, JSON.stringify(changed.json())).toBe(200);
  const enrolment = changed.json<{ stage: string; totpEnrolment: { otpauthUri: string } }>();
  expect(enrolment.stage).toBe('totp');
  const uri = new URL(enrolment.totpEnrolment.otpauthUri);
  expect(uri.protocol).toBe('otpauth:');
  const totpSecret = uri.searchParams.get('secret') ?? '';
  expect(totpSecret).toMatch(/^[A-Z2-7]{26,}$/);

  const enrolledStep = totpStep(Date.now());
  const confirmed = await browser.call('POST', '/v1/session/totp', {
    body: { code: totpCode(totpSecret, enrolledStep) },
  });
  expect(confirmed.status, JSON.stringify(confirmed.json())).toBe(200);
  expect(confirmed.json()).toMatchObject({ stage: 'full' });
  expectSessionCookie(browser.lastSetCookie);
  return {
    personId: person.id,
    tenantId: p.tenantId,
    login: p.login,
    password,
    totpSecret,
    enrolledStep,
    session: browser,
  };
}

/** The session cookie as the API must set it: `__Host-`, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain. */
export function expectSessionCookie(setCookie: string | null): void {
  expect(setCookie).not.toBeNull();
  const attributes = setCookie!
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());
  expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']));
  expect(attributes.some((a) => a.startsWith('domain'))).toBe(false);
}

/** Waits until the authenticator shows a code of a step after `step` (a code is good once: RFC 6238 replay). */
export async function nextTotpStepAfter(step: number): Promise<void> {
  const waitMs = (step + 1) * 30_000 - Date.now();
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs + 20));
}

/** A person signs in with password and the code their app shows now; answers the browser with the session. */
export async function signIn(baseUrl: string, person: EnrolledPerson): Promise<Browser> {
  const browser = createBrowser(baseUrl);
  const answer = await browser.call('POST', '/v1/session', {
    body: { login: person.login, password: person.password, code: codeNow(person.totpSecret) },
  });
  expect(answer.status, JSON.stringify(answer.json())).toBe(200);
  expect(answer.json()).toMatchObject({ stage: 'full', person: { id: person.personId } });
  expectSessionCookie(browser.lastSetCookie);
  return browser;
}
