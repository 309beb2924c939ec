import { expect } from 'vitest';
import { MatcherError } from './errors.js';

/** Asserts `fn` throws a MatcherError with this code (typed error, not a crash). */
export function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(MatcherError);
  expect((caught as MatcherError).code).toBe(code);
}
