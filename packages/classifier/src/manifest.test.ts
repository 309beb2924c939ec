import { describe, expect, it } from 'vitest';
import { ClassifierErrorCode } from './errors.js';
import { parseManifest } from './manifest.js';

const good = {
  id: 'm',
  version: 'v1',
  format: 'layers-model',
  licence: 'MIT',
  source: 'npm:x@1',
  files: [{ path: 'model.json', bytes: 10, sha256: 'a'.repeat(64) }],
};

describe('parseManifest', () => {
  it('accepts a well-formed manifest', () => {
    expect(parseManifest(good).files[0]?.path).toBe('model.json');
  });

  it.each([
    ['not an object', 42],
    ['no files', { ...good, files: [] }],
    ['a path with a directory', { ...good, files: [{ ...good.files[0], path: '../model.json' }] }],
    ['an absolute path', { ...good, files: [{ ...good.files[0], path: '/etc/passwd' }] }],
    ['a short sha256', { ...good, files: [{ ...good.files[0], sha256: 'abc' }] }],
    ['a duplicate file', { ...good, files: [good.files[0], good.files[0]] }],
    ['a missing id', { ...good, id: '' }],
  ])('refuses %s', (_name, json) => {
    expect(() => parseManifest(json)).toThrow(
      expect.objectContaining({ code: ClassifierErrorCode.MODEL_INVALID }) as Error,
    );
  });
});
