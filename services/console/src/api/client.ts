import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../../generated/api';

/**
 * The API client, typed from the API's OpenAPI document (generated at build time from the route schemas: see
 * the package README), so a route change that breaks a call here breaks the console's build.
 *
 * Same origin only: cookies go with every call (the session cookie is HttpOnly; scripts never see it), and every
 * state-changing call carries the session's CSRF token in `x-csrf-token`.
 */
export type Paths = paths;

/**
 * An API answer that was not a success: the HTTP status and the API's stable error code; `dailyLimit`, the daily
 * limit a refusal at one names (`x-daily-limit`, with MOD_ERR_API_EXPOSURE_LIMIT and MOD_ERR_API_PREVIEW_LIMIT).
 */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly dailyLimit: number | null = null,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

let csrfToken: string | null = null;
let language = 'vi';
let onUnauthenticated: () => void = () => undefined;

/** The CSRF token of the current session (from `GET`/`POST /v1/session`); null once signed out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}
/** The current session's CSRF token (uploads send it too). */
export const currentCsrfToken = (): string | null => csrfToken;
/** The language the API answers its messages in (`accept-language`). */
export function setApiLanguage(l: string): void {
  language = l;
}
/** The language the API is asked to answer in (uploads ask it too). */
export const currentApiLanguage = (): string => language;
/** Called when the API says the session is gone (401 on any call but `/v1/session`'s own). */
export function setOnUnauthenticated(f: () => void): void {
  onUnauthenticated = f;
}
/** The API said the session is gone on a call made outside the client (an upload). */
export function sessionEndedOnUpload(): void {
  onUnauthenticated();
}

/**
 * The header of a request the console makes by itself (a list refreshing itself, the session check): the API
 * answers it but does not count it as the person's use of the session, which still goes idle.
 */
export const BACKGROUND_HEADER = 'x-background-refresh';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const sessionHeaders: Middleware = {
  onRequest({ request }) {
    request.headers.set('accept-language', language);
    if (!SAFE.has(request.method) && csrfToken !== null) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  onResponse({ request, response }) {
    // `/v1/session` itself answers 401 to a failed sign-in and to a visit without a session, which the sign-in page
    // and the session's own checks handle. A 401 on any other call, the first sign-in's steps under `/v1/session/`
    // among them, says the session ended (left idle at the new-password step): the sign-in page, saying so.
    if (response.status === 401 && new URL(request.url).pathname !== '/v1/session') onUnauthenticated();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin, credentials: 'same-origin' });
api.use(sessionHeaders);

/** The body of a successful answer, or an `ApiFailure` with the API's code. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  const e = (error ?? {}) as { error?: { code?: unknown; message?: unknown } };
  const code = typeof e.error?.code === 'string' ? e.error.code : `HTTP_${response.status}`;
  const message = typeof e.error?.message === 'string' ? e.error.message : response.statusText;
  const limit = Number.parseInt(response.headers.get('x-daily-limit') ?? '', 10);
  throw new ApiFailure(
    response.status,
    code,
    message,
    Number.isSafeInteger(limit) && limit > 0 ? limit : null,
  );
}
