import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { en } from './en.js';
import { formatMessage, type MessageValues } from './icu.js';
import { vi, type MessageKey } from './vi.js';

/** Languages the console speaks: Vietnamese first (the default), English selectable. */
export const Languages = ['vi', 'en'] as const;
export type Language = (typeof Languages)[number];
const CATALOGUES: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = { vi, en };
/** Dates and times are shown in this zone unless the person picks another (stored with the language). */
export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';
const LANGUAGE_KEY = 'mod.console.language';
const TIME_ZONE_KEY = 'mod.console.timeZone';

export interface I18n {
  language: Language;
  /** BCP 47 tag for Intl (vi-VN, en-GB). */
  locale: string;
  timeZone: string;
  setLanguage: (language: Language) => void;
  setTimeZone: (zone: string) => void;
  t: (key: MessageKey, values?: MessageValues) => string;
  /** A date and time in the chosen zone (`null`: a dash; text that is no time: as it is). */
  dateTime: (iso: string | null | undefined) => string;
  number: (n: number, options?: Intl.NumberFormatOptions) => string;
  /** A duration such as "3 giờ 5 phút" / "3 h 5 min", from milliseconds (sign ignored). */
  duration: (ms: number) => string;
  /** A countdown clock such as "23:59:58" or "2 ngày 03:04:05" / "2 days 03:04:05" (sign ignored). */
  clock: (ms: number) => string;
}

const LOCALES: Readonly<Record<Language, string>> = { vi: 'vi-VN', en: 'en-GB' };

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private windows may refuse storage: the choice then lasts for this page only.
  }
}

/** The language first shown: the stored choice, else Vietnamese (the console's audience is Vietnamese first). */
export function initialLanguage(): Language {
  const s = stored(LANGUAGE_KEY);
  return s === 'en' || s === 'vi' ? s : 'vi';
}

/** Whether Intl knows a time zone name. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function createI18n(
  language: Language,
  timeZone: string,
  set: { language: (l: Language) => void; timeZone: (z: string) => void },
): I18n {
  const locale = LOCALES[language];
  const catalogue = CATALOGUES[language];
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone });
  const numberFormat = new Intl.NumberFormat(locale);
  const t = (key: MessageKey, values?: MessageValues) => formatMessage(locale, catalogue[key], values);
  return {
    language,
    locale,
    timeZone,
    setLanguage: set.language,
    setTimeZone: set.timeZone,
    t,
    dateTime: (iso) => {
      if (iso === null || iso === undefined || iso === '') return '—';
      const at = new Date(iso);
      // A time that is none (a tampered audit bundle's, an answer gone wrong) is shown as given: formatting an
      // invalid date throws, and a throw while a page renders leaves the whole console blank.
      return Number.isNaN(at.getTime()) ? String(iso) : dateFormat.format(at);
    },
    number: (n, options) =>
      (options === undefined ? numberFormat : new Intl.NumberFormat(locale, options)).format(n),
    duration: (ms) => {
      const totalMinutes = Math.floor(Math.abs(ms) / 60_000);
      const days = Math.floor(totalMinutes / 1440);
      const hours = Math.floor((totalMinutes % 1440) / 60);
      const minutes = totalMinutes % 60;
      const seconds = Math.floor(Math.abs(ms) / 1000) % 60;
      if (days > 0) return t('duration.daysHours', { days, hours });
      if (hours > 0) return t('duration.hoursMinutes', { hours, minutes });
      return t('duration.minutesSeconds', { minutes, seconds });
    },
    clock: (ms) => {
      const totalS = Math.floor(Math.abs(ms) / 1000);
      const two = (n: number) => String(n).padStart(2, '0');
      const clock = `${two(Math.floor((totalS % 86_400) / 3600))}:${two(Math.floor((totalS % 3600) / 60))}:${two(totalS % 60)}`;
      return t('duration.clock', { days: Math.floor(totalS / 86_400), clock });
    },
  };
}

const Context = createContext<I18n | null>(null);

/** Provides the language (persisted) and time zone to the console; sets `<html lang>` to match. */
export function I18nProvider(props: { children: ComponentChildren }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const [timeZone, setTimeZoneState] = useState<string>(() => {
    const z = stored(TIME_ZONE_KEY);
    return z !== null && isTimeZone(z) ? z : DEFAULT_TIME_ZONE;
  });
  const i18n = useMemo(
    () =>
      createI18n(language, timeZone, {
        language: (l) => {
          store(LANGUAGE_KEY, l);
          setLanguageState(l);
        },
        timeZone: (z) => {
          if (!isTimeZone(z)) return;
          store(TIME_ZONE_KEY, z);
          setTimeZoneState(z);
        },
      }),
    [language, timeZone],
  );
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = i18n.t('app.title');
  }, [language, i18n]);
  return <Context.Provider value={i18n}>{props.children}</Context.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(Context);
  if (i18n === null) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
