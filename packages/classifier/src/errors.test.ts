import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModError } from '@mod/contracts';
import { describe, expect, it } from 'vitest';
import { ClassifierError, ClassifierErrorCode, ModelChecksumError, toClassifierError } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README, and the README documents no other', async () => {
    const readme = await readFile(join(import.meta.dirname, '../README.md'), 'utf8');
    const documented = [...readme.matchAll(/`(MOD_ERR_CLASSIFIER_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.values(ClassifierErrorCode)));
  });

  it('are ModErrors with a stable code, and unknown errors become INTERNAL', () => {
    const e = new ModelChecksumError('/m/a.bin', 'a'.repeat(64), 'b'.repeat(64));
    expect(e).toBeInstanceOf(ModError);
    expect(e.toJSON()).toMatchObject({ code: 'MOD_ERR_CLASSIFIER_CHECKSUM', retriable: false });
    expect(toClassifierError(new TypeError('boom'))).toMatchObject({
      code: ClassifierErrorCode.INTERNAL,
      message: 'boom',
    });
    const typed = new ClassifierError(ClassifierErrorCode.DECODE, 'x');
    expect(toClassifierError(typed)).toBe(typed);
  });
});
