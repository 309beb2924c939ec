import { describe, expect, it } from 'vitest';
import { documentedErrorCodes } from '@mod/contracts/testing/documented-error-codes';
import { HashingError, HashingErrorCode } from './errors.js';

describe('error codes', () => {
  it('are all documented in README.md and the README lists no others', () => {
    expect(documentedErrorCodes(new URL('../README.md', import.meta.url), 'HASH')).toEqual(
      Object.values(HashingErrorCode).sort(),
    );
  });

  it('are retriable only for timeouts and pool failures (a crashed worker, one that could not start too)', () => {
    const retriable = Object.values(HashingErrorCode).filter((code) => new HashingError(code, 'x').retriable);
    expect(retriable.sort()).toEqual(
      [
        HashingErrorCode.TIMEOUT,
        HashingErrorCode.WORKER_FAILED,
        HashingErrorCode.WORKER_CRASHED,
        HashingErrorCode.WORKER_START_FAILED,
      ].sort(),
    );
  });
});
