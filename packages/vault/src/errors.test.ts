import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VaultError, VaultErrorCode } from './errors.js';

describe('error codes', () => {
  it('are all documented in README.md and the README lists no others', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = new Set(readme.match(/MOD_ERR_VAULT_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.values(VaultErrorCode).sort());
  });

  it('are never retriable: trying again cannot fix a key, tampering or destroyed evidence', () => {
    for (const code of Object.values(VaultErrorCode)) expect(new VaultError(code, 'x').retriable).toBe(false);
  });
});
