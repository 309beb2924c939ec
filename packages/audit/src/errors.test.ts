import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuditErrorCode } from './errors.js';

describe('error codes', () => {
  it('every code is documented in README.md, and the README lists no other', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `(MOD_ERR_AUDIT_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(AuditErrorCode).sort());
  });
});
