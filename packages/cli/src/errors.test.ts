import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CliErrorCode } from './errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('modctl error codes', () => {
  it('are documented in the README, and the README lists no others', () => {
    const documented = [...readme.matchAll(/^\|\s*`(MOD_ERR_CLI_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(CliErrorCode).sort());
  });
});
