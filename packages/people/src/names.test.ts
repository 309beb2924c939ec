import { describe, expect, it } from 'vitest';
import { isValidDisplayName } from './names.js';

describe('display names', () => {
  it('take any script, with diacritics composed or not, up to 200 characters', () => {
    for (const name of ['Nguyễn Thị Bình', 'Nguye\u0302\u0303n', 'أحمد', 'x'.repeat(200), '😀'.repeat(200)])
      expect(isValidDisplayName(name), name).toBe(true);
  });
  it('refuse blank names, longer ones, and characters that break a line or make it display other than it is', () => {
    for (const name of [
      '',
      '   ',
      'x'.repeat(201),
      'a\nb',
      'a\u001b[2Jb',
      'a\u009bb',
      'Admin\u202e',
      '\u2066x\u2069',
    ])
      expect(isValidDisplayName(name), JSON.stringify(name)).toBe(false);
  });
});
