import { describe, expect, it } from 'vitest';
import { documentedErrorCodes } from '@mod/contracts/testing/documented-error-codes';
import { VaultError, VaultErrorCode } from './errors.js';

describe('error codes', () => {
  it('are all documented in README.md and the README lists no others', () => {
    expect(documentedErrorCodes(new URL('../README.md', import.meta.url), 'VAULT')).toEqual(
      Object.values(VaultErrorCode).sort(),
    );
  });

  it('are never retriable: trying again cannot fix a key, tampering or destroyed evidence', () => {
    for (const code of Object.values(VaultErrorCode)) expect(new VaultError(code, 'x').retriable).toBe(false);
  });
});
