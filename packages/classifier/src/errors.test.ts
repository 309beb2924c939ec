import { describe, expect, it } from 'vitest';
import { ModError } from '@mod/contracts';
import { documentedErrorCodes } from '@mod/testing';
import { ClassifierError, ClassifierErrorCode, ModelChecksumError, toClassifierError } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README, and the README documents no other', () => {
    expect(documentedErrorCodes(new URL('../README.md', import.meta.url), 'CLASSIFIER')).toEqual(
      Object.values(ClassifierErrorCode).sort(),
    );
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
