import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UrlError, UrlErrorCode } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README, and the README lists no others', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = new Set(readme.match(/MOD_ERR_URL_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.values(UrlErrorCode).sort());
  });

  it('are stable ModErrors that are never retriable', () => {
    const error = new UrlError(UrlErrorCode.Scheme, 'x');
    expect(error.toJSON()).toEqual({ code: 'MOD_ERR_URL_SCHEME', message: 'x', retriable: false });
    expect(error.name).toBe('UrlError');
  });
});
