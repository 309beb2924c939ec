import { isModError } from '@mod/contracts';
import { isDatabaseFailure, isRetriablePgError } from '@mod/db';
import { ApiError } from './errors.js';

const FASTIFY_TOO_LARGE = new Set([
  'FST_ERR_CTP_BODY_TOO_LARGE',
  'FST_REQ_FILE_TOO_LARGE',
  'FST_FILES_LIMIT',
  'FST_PARTS_LIMIT',
  'FST_FIELDS_LIMIT',
]);
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Maps any error to a status and a body with a stable code; never a stack trace, SQL or raw client input. */
export function errorAnswer(err: unknown): {
  statusCode: number;
  body: { error: { code: string; message: string } };
} {
  const answer = (statusCode: number, code: string, message: string) => ({
    statusCode,
    body: { error: { code, message } },
  });
  if (err instanceof ApiError) return answer(err.statusCode, err.code, err.message);
  const e = (err ?? {}) as {
    validation?: { keyword?: string; params?: { additionalProperty?: unknown } }[];
    validationContext?: string;
    statusCode?: number;
    code?: string;
    message?: string;
  };
  if (Array.isArray(e.validation)) {
    const unknown = e.validation.find((v) => v.keyword === 'additionalProperties');
    if (unknown !== undefined) {
      const property = unknown.params?.additionalProperty;
      const name = typeof property === 'string' ? property : '';
      return answer(
        400,
        'MOD_ERR_API_UNKNOWN_FIELD',
        `unknown field in ${e.validationContext ?? 'request'}${SAFE_NAME.test(name) ? `: ${name}` : ''}`,
      );
    }
    return answer(400, 'MOD_ERR_API_VALIDATION', e.message ?? 'invalid request');
  }
  if (typeof e.code === 'string' && FASTIFY_TOO_LARGE.has(e.code))
    return answer(413, 'MOD_ERR_API_TOO_LARGE', 'request body too large');
  if (e.statusCode === 413) return answer(413, 'MOD_ERR_API_TOO_LARGE', 'request body too large');
  if (e.statusCode === 415 || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return answer(415, 'MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE', 'unsupported content-type');
  if (
    err instanceof SyntaxError ||
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    e.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
  )
    return answer(400, 'MOD_ERR_API_BAD_JSON', 'the body is not valid JSON');
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own 4xx messages are fixed texts; anything else stays generic.
    const message =
      e.code?.startsWith('FST_') === true && e.message !== undefined ? e.message : 'bad request';
    return answer(e.statusCode, 'MOD_ERR_API_BAD_REQUEST', message);
  }
  // The database's own failures reach here as the driver threw them: one of the server's state (disk full, a
  // failover's read-only standby, a shutdown, a lost connection) is an outage the client retries, not a 500.
  const retriable = isModError(err) ? err.retriable : isDatabaseFailure(err) && isRetriablePgError(err);
  return retriable
    ? answer(503, 'MOD_ERR_API_UNAVAILABLE', 'temporarily unavailable; try again')
    : answer(500, 'MOD_ERR_API_INTERNAL', 'internal error');
}
