import { ModError } from '@mod/contracts';

/**
 * Every code the API answers with, and its HTTP status. Stable: clients branch on them; never reuse one.
 * README.md lists them with their meaning (a test keeps the two in sync).
 */
export const ApiErrorCodes = {
  MOD_ERR_API_UNAUTHENTICATED: 401,
  MOD_ERR_API_FORBIDDEN: 403,
  MOD_ERR_API_CASE_NOT_YOURS: 403,
  MOD_ERR_API_SAME_PERSON: 403,
  MOD_ERR_API_KEY_NOT_OWN: 403,
  MOD_ERR_API_NOT_FOUND: 404,
  MOD_ERR_API_NO_ROUTE: 404,
  MOD_ERR_API_VALIDATION: 400,
  MOD_ERR_API_UNKNOWN_FIELD: 400,
  MOD_ERR_API_BAD_JSON: 400,
  MOD_ERR_API_BAD_REQUEST: 400,
  MOD_ERR_API_NOT_MULTIPART: 400,
  MOD_ERR_API_NO_MEDIA: 400,
  MOD_ERR_API_BAD_CURSOR: 400,
  MOD_ERR_API_BAD_FINGERPRINT: 400,
  MOD_ERR_API_ROLE_NOT_FOR_TENANT: 400,
  MOD_ERR_API_REFERRAL_TARGET: 400,
  MOD_ERR_API_EXPIRY_PAST: 400,
  MOD_ERR_API_LIST_REJECTED: 400,
  MOD_ERR_API_BAD_IDEMPOTENCY_KEY: 400,
  MOD_ERR_API_WEBHOOK_TARGET_REFUSED: 400,
  MOD_ERR_API_DECISION_INVALID: 400,
  MOD_ERR_API_WEAK_PASSWORD: 400,
  MOD_ERR_API_SAME_PASSWORD: 400,
  MOD_ERR_API_TOTP_CODE_WRONG: 400,
  MOD_ERR_API_ROLE_NOT_FOR_PEOPLE: 400,
  MOD_ERR_API_SIGN_IN_FAILED: 401,
  MOD_ERR_API_ACCOUNT_DISABLED: 403,
  MOD_ERR_API_SESSION_REQUIRED: 403,
  MOD_ERR_API_CSRF: 403,
  MOD_ERR_API_PASSWORD_CHANGE_REQUIRED: 403,
  MOD_ERR_API_TOTP_ENROLMENT_REQUIRED: 403,
  MOD_ERR_API_SESSION_STAGE: 403,
  MOD_ERR_API_CURRENT_PASSWORD_WRONG: 403,
  MOD_ERR_API_CONFLICT: 409,
  MOD_ERR_API_LOGIN_TAKEN: 409,
  MOD_ERR_API_NOT_YOURSELF: 409,
  MOD_ERR_API_IDEMPOTENCY_CONFLICT: 409,
  MOD_ERR_API_ORDER_FOLDED: 409,
  MOD_ERR_API_ORDER_BOUND: 409,
  MOD_ERR_API_CASE_CLAIMED: 409,
  MOD_ERR_API_CASE_NOT_CLAIMED: 409,
  MOD_ERR_API_CASE_CLOSED: 409,
  MOD_ERR_API_PREVIEW_FAILED: 422,
  MOD_ERR_API_LEGAL_HOLD_CONFLICT: 409,
  MOD_ERR_API_AUDIT_NOT_ERASABLE: 409,
  MOD_ERR_API_AUDIT_TEXT_HELD: 409,
  MOD_ERR_API_EVIDENCE_GONE: 410,
  MOD_ERR_API_TOO_LARGE: 413,
  MOD_ERR_API_HEADERS_TOO_LARGE: 431,
  MOD_ERR_API_REQUEST_TIMEOUT: 408,
  MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE: 415,
  MOD_ERR_API_RATE_LIMITED: 429,
  MOD_ERR_API_EXPOSURE_LIMIT: 429,
  MOD_ERR_API_PREVIEW_LIMIT: 429,
  MOD_ERR_API_TIMEOUT: 503,
  MOD_ERR_API_AUDIT_KEY_MISSING: 503,
  MOD_ERR_API_VAULT_KEY_MISSING: 503,
  MOD_ERR_API_PEOPLE_KEY_MISSING: 503,
  MOD_ERR_API_UNAVAILABLE: 503,
  MOD_ERR_API_CONTACT_KEY_MISSING: 503,
  MOD_ERR_API_CONTACT_TAMPERED: 500,
  MOD_ERR_API_INTERNAL: 500,
} as const;
export type ApiErrorCode = keyof typeof ApiErrorCodes;

/** An error answered to the client with an HTTP status and a stable code; never a stack trace or SQL text. */
export class ApiError extends ModError {
  readonly statusCode: number;
  /** Seconds a rate-limited client should wait (sent as `retry-after`). */
  readonly retryAfterS: number | undefined;
  constructor(statusCode: number, code: string, message: string, retryAfterS?: number) {
    super(code, message, { retriable: statusCode >= 500 || statusCode === 429 });
    this.statusCode = statusCode;
    this.retryAfterS = retryAfterS;
  }
}

const make = (code: ApiErrorCode, message: string) => new ApiError(ApiErrorCodes[code], code, message);

export const unauthenticated = () => make('MOD_ERR_API_UNAUTHENTICATED', 'a valid API key is required');
export const forbidden = () => make('MOD_ERR_API_FORBIDDEN', 'this role may not use this route');
export const notFound = (what: string) => make('MOD_ERR_API_NOT_FOUND', `${what} not found`);
export const badRequest = (code: ApiErrorCode | (string & {}), message: string) =>
  new ApiError(400, code, message);
export const conflict = (message: string) => make('MOD_ERR_API_CONFLICT', message);
/** A report referred to a tenant that is not an authority in service (`POST /v1/reports/:id/referrals`). */
export const referralTarget = () =>
  make('MOD_ERR_API_REFERRAL_TARGET', 'a report is referred only to an authority tenant in service');
/** Evidence whose bytes and key retention destroyed (its metadata remains): 410 Gone wherever its bytes are asked for. */
export const evidenceGone = () =>
  make(
    'MOD_ERR_API_EVIDENCE_GONE',
    'the evidence was destroyed under the retention policy; its metadata remains',
  );
export const tooLarge = (message = 'request body too large') => make('MOD_ERR_API_TOO_LARGE', message);
export const rateLimited = (retryAfterS: number) =>
  new ApiError(429, 'MOD_ERR_API_RATE_LIMITED', 'too many requests; slow down', retryAfterS);
export const timedOut = () => make('MOD_ERR_API_TIMEOUT', 'the request took too long; try again');
export const unavailable = (message: string, retryAfterS?: number) =>
  new ApiError(503, 'MOD_ERR_API_UNAVAILABLE', message, retryAfterS);
/** A report's contact details sealed under a key this API is not given (REPORT_CONTACT_KEY, ..._PREVIOUS_KEYS). */
export const contactKeyMissing = (keyId: string) =>
  make(
    'MOD_ERR_API_CONTACT_KEY_MISSING',
    `contact details cannot be opened: their key ${keyId} is not configured (REPORT_CONTACT_KEY, REPORT_CONTACT_PREVIOUS_KEYS)`,
  );
/** A report's sealed contact details that fail their integrity check (altered, or another report's). */
export const contactTampered = () =>
  make(
    'MOD_ERR_API_CONTACT_TAMPERED',
    'contact details fail their integrity check (altered, or sealed for another report); the attempt is audited',
  );
