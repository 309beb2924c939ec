import { describe, expect, it } from 'vitest';
import { documentedErrorCodes } from '@mod/testing';
import { CliErrorCode } from './errors.js';

describe('modctl error codes', () => {
  it('are documented in the README, and the README lists no others', () => {
    expect(documentedErrorCodes(new URL('../README.md', import.meta.url), 'CLI')).toEqual(
      Object.values(CliErrorCode).sort(),
    );
  });
});
