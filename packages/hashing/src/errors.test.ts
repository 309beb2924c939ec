import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HashingError, HashingErrorCode } from './errors.js';

describe('error codes', () => {
  it('are all documented in README.md and the README lists no others', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = new Set(readme.match(/MOD_ERR_HASH_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.values(HashingErrorCode).sort());
  });

  it('are retriable only for timeouts and pool failures', () => {
    const retriable = Object.values(HashingErrorCode).filter((code) => new HashingError(code, 'x').retriable);
    expect(retriable.sort()).toEqual([HashingErrorCode.TIMEOUT, HashingErrorCode.WORKER_FAILED].sort());
  });
});
