import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorAnswer } from './error-answer.js';
import { ApiError, ApiErrorCodes } from './errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('are documented in the README with their status, and the README lists no others', () => {
    const documented = new Map(
      [...readme.matchAll(/^\|\s*`(MOD_ERR_API_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    expect(Object.fromEntries(documented)).toEqual({ ...ApiErrorCodes });
  });

  it('map every error to a stable code without leaking its message', () => {
    expect(errorAnswer(new ApiError(404, 'MOD_ERR_API_NOT_FOUND', 'order not found'))).toEqual({
      statusCode: 404,
      body: { error: { code: 'MOD_ERR_API_NOT_FOUND', message: 'order not found' } },
    });
    const pg = Object.assign(new Error('relation "api_keys" does not exist'), { code: '42P01' });
    expect(errorAnswer(pg)).toEqual({
      statusCode: 500,
      body: { error: { code: 'MOD_ERR_API_INTERNAL', message: 'internal error' } },
    });
    const unknown = {
      validation: [{ keyword: 'additionalProperties', params: { additionalProperty: "x' or 1=1" } }],
      validationContext: 'body',
      message: 'body must NOT have additional properties',
    };
    expect(errorAnswer(unknown).body.error).toEqual({
      code: 'MOD_ERR_API_UNKNOWN_FIELD',
      message: 'unknown field in body',
    });
    expect(errorAnswer(Object.assign(new Error('x'), { statusCode: 413 })).statusCode).toBe(413);
    expect(errorAnswer(new SyntaxError('Unexpected token')).body.error.code).toBe('MOD_ERR_API_BAD_JSON');
    expect(errorAnswer(Object.assign(new Error('odd'), { statusCode: 418 })).body.error).toEqual({
      code: 'MOD_ERR_API_BAD_REQUEST',
      message: 'bad request',
    });
    for (const [code, status] of Object.entries(ApiErrorCodes)) {
      const answer = errorAnswer(new ApiError(status, code, 'm'));
      expect(answer.statusCode).toBe(status);
      expect(answer.body.error.code).toBe(code);
    }
  });
});
