import { describe, expect, it } from 'vitest';
import { documentedErrorCodes } from '@mod/testing';
import { UrlError, UrlErrorCode } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README, and the README lists no others', () => {
    expect(documentedErrorCodes(new URL('../README.md', import.meta.url), 'URL')).toEqual(
      Object.values(UrlErrorCode).sort(),
    );
  });

  it('are stable ModErrors that are never retriable', () => {
    const error = new UrlError(UrlErrorCode.Scheme, 'x');
    expect(error.toJSON()).toEqual({ code: 'MOD_ERR_URL_SCHEME', message: 'x', retriable: false });
    expect(error.name).toBe('UrlError');
  });
});
