import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n/locale.js';
import { clockText } from './countdown.js';

const noop = { language: () => undefined, timeZone: () => undefined };

describe('clockText', () => {
  it('says the time left, or how long overdue, in both languages (the words the desk and reports share)', () => {
    for (const language of ['vi', 'en'] as const) {
      const i18n = createI18n(language, 'Asia/Ho_Chi_Minh', noop);
      expect(clockText(i18n, { kind: 'running', leftMs: 90_000 })).toBe(
        i18n.t('desk.timeLeft', { time: i18n.clock(90_000) }),
      );
      expect(clockText(i18n, { kind: 'overdue', byMs: 3_600_000 })).toBe(
        i18n.t('desk.overdueBy', { time: i18n.clock(3_600_000) }),
      );
      expect(clockText(i18n, { kind: 'running', leftMs: 1 })).not.toBe(
        clockText(i18n, { kind: 'overdue', byMs: 1 }),
      );
    }
  });
});
