import { describe, expect, it } from 'vitest';
import { PeopleMessages, passwordProblemsMessage, peopleMessage, preferredLanguage } from './messages.js';

describe('what people are told', () => {
  it('has every message in Vietnamese and English', () => {
    for (const [id, text] of Object.entries(PeopleMessages)) {
      expect(text.vi.trim(), id).not.toBe('');
      expect(text.en.trim(), id).not.toBe('');
      expect(text.vi, id).not.toBe(text.en);
    }
    expect(peopleMessage('csrf', 'vi')).toContain('x-csrf-token');
    expect(passwordProblemsMessage(['too-short', 'contains-login'], 'en')).toBe(
      'The new password is not acceptable: at least 12 characters; must not contain the login.',
    );
    expect(passwordProblemsMessage(['too-short'], 'vi')).toBe('Mật khẩu mới chưa đạt: cần ít nhất 12 ký tự.');
  });

  it.each([
    [undefined, 'vi'],
    ['', 'vi'],
    ['en', 'en'],
    ['en-GB,en;q=0.9', 'en'],
    ['vi-VN,vi;q=0.9,en;q=0.8', 'vi'],
    ['fr,en;q=0.5', 'en'],
    ['en;q=0.4,vi;q=0.8', 'vi'],
    ['de,fr', 'vi'],
    ['en;q=0', 'vi'],
  ] as const)('answers %j in %s', (header, lang) => {
    expect(preferredLanguage(header)).toBe(lang);
  });
});
