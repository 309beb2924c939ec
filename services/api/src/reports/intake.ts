import { createHash, randomBytes } from 'node:crypto';
import { hasUnsafeMultilineCharacter } from '@mod/contracts/text-rules';
import { ReportCategories, type ReportCategory } from '@mod/db/reports';
import { normalizeUrl } from '@mod/urls';
import { ApiError } from '../errors.js';

/** Limits of one report, whatever the channel. */
export const REPORT_LIMITS = {
  maxUrls: 10,
  maxUrlLength: 2048,
  maxSeenWhere: 500,
  maxDescription: 4000,
  maxContactField: 200,
  /** Bytes of a JSON body (the API's channels). */
  maxBodyBytes: 32 * 1024,
  /**
   * Bytes of the public form's body: every field at its limit, in a script whose characters take 9 bytes each once
   * the browser URL-encodes them (3 bytes of UTF-8, each as %XX), so no report the limits above allow is refused
   * as too large. (A body of 32 KiB refused ten long addresses with a long description.)
   */
  maxFormBodyBytes: 9 * (10 * (2048 + 2) + 500 + 4000 + 3 * 200) + 4096,
} as const;

/** Codes a report is refused with (400 unless said): the form shows their text, the API answers them. */
export const ReportErrorCode = {
  NoUrl: 'MOD_ERR_API_REPORT_NO_URL',
  TooManyUrls: 'MOD_ERR_API_REPORT_TOO_MANY_URLS',
  BadUrl: 'MOD_ERR_API_REPORT_BAD_URL',
  Category: 'MOD_ERR_API_REPORT_CATEGORY',
  TooLong: 'MOD_ERR_API_REPORT_TOO_LONG',
  Consent: 'MOD_ERR_API_REPORT_CONSENT',
  Contact: 'MOD_ERR_API_REPORT_CONTACT',
  /** The honeypot was filled: a robot. Nothing is stored. */
  Rejected: 'MOD_ERR_API_REPORT_REJECTED',
  /** The browser says another site sent the form (403): nothing is stored, nothing of it shown again. */
  CrossSite: 'MOD_ERR_API_REPORT_CROSS_SITE',
  FormExpired: 'MOD_ERR_API_REPORT_FORM_EXPIRED',
  Pow: 'MOD_ERR_API_REPORT_POW',
  RateLimited: 'MOD_ERR_API_REPORT_RATE_LIMITED',
  Busy: 'MOD_ERR_API_REPORT_BUSY',
  NoFiles: 'MOD_ERR_API_REPORT_NO_FILES',
  ContactUnavailable: 'MOD_ERR_API_REPORT_CONTACT_UNAVAILABLE',
  /**
   * An Idempotency-Key the API cannot honour: no contact key to keep the first answer sealed, or the first answer
   * was sealed under a key no longer configured. Nothing is filed.
   */
  ReplayUnavailable: 'MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE',
} as const;
export type ReportErrorCode = (typeof ReportErrorCode)[keyof typeof ReportErrorCode];

const STATUS: Partial<Record<ReportErrorCode, number>> = {
  [ReportErrorCode.CrossSite]: 403,
  [ReportErrorCode.RateLimited]: 429,
  [ReportErrorCode.Busy]: 503,
  [ReportErrorCode.NoFiles]: 415,
  [ReportErrorCode.ContactUnavailable]: 503,
  [ReportErrorCode.ReplayUnavailable]: 503,
};

export const reportError = (code: ReportErrorCode, message: string, retryAfterS?: number) =>
  new ApiError(STATUS[code] ?? 400, code, message, retryAfterS);

/** A report as a channel gives it, before checking. */
export interface ReportDraft {
  urls: readonly string[];
  category: string;
  seenWhere?: string | undefined;
  description?: string | undefined;
  contact?: { name?: string; phone?: string; email?: string } | undefined;
  consents?: { contact?: boolean; followUp?: boolean } | undefined;
}

export interface CheckedContact {
  name: string | null;
  phone: string | null;
  email: string | null;
}

/** A report that passed every check: normalised distinct URLs, trimmed texts, contact only with consent. */
export interface CheckedReport {
  urls: { href: string; key: string }[];
  category: ReportCategory;
  seenWhere: string | null;
  description: string | null;
  contact: CheckedContact | null;
  consents: { contact: boolean; followUp: boolean };
}

const PHONE = /^\+?[0-9 ().-]{6,30}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/u;

function text(value: string | undefined, max: number, what: string): string | null {
  const t = (value ?? '').trim();
  if (t === '') return null;
  if (t.length > max) throw reportError(ReportErrorCode.TooLong, `${what} is longer than ${max} characters`);
  // Tab and line breaks aside, the rule of all free text (`@mod/contracts/text-rules`).
  if (hasUnsafeMultilineCharacter(t))
    throw reportError(ReportErrorCode.TooLong, `${what} holds control or text-direction characters`);
  return t;
}

/**
 * Checks a report from any channel: 1 to 10 URLs the normaliser accepts (duplicates fold), a known category,
 * bounded texts, and contact details only with the consent to keep them. Throws the first refusal (coded).
 */
export function checkReport(d: ReportDraft): CheckedReport {
  const given = d.urls.map((u) => u.trim()).filter((u) => u !== '');
  if (given.length === 0) throw reportError(ReportErrorCode.NoUrl, 'name at least one URL');
  if (given.length > REPORT_LIMITS.maxUrls)
    throw reportError(ReportErrorCode.TooManyUrls, `at most ${REPORT_LIMITS.maxUrls} URLs per report`);
  const urls = new Map<string, { href: string; key: string }>();
  for (const [i, raw] of given.entries()) {
    const normalized = raw.length > REPORT_LIMITS.maxUrlLength ? null : normalizeUrl(raw);
    if (normalized === null || !normalized.ok)
      throw reportError(
        ReportErrorCode.BadUrl,
        `URL ${i + 1}: ${normalized === null ? 'too long' : normalized.error.message}`,
      );
    urls.set(normalized.url.key, { href: normalized.url.href, key: normalized.url.key });
  }
  if (!(ReportCategories as readonly string[]).includes(d.category))
    throw reportError(ReportErrorCode.Category, `category must be one of ${ReportCategories.join(', ')}`);
  const contact: CheckedContact = {
    name: text(d.contact?.name, REPORT_LIMITS.maxContactField, 'name'),
    phone: text(d.contact?.phone, REPORT_LIMITS.maxContactField, 'phone'),
    email: text(d.contact?.email, REPORT_LIMITS.maxContactField, 'email'),
  };
  const anyContact = contact.name !== null || contact.phone !== null || contact.email !== null;
  const consents = { contact: d.consents?.contact === true, followUp: d.consents?.followUp === true };
  if (anyContact && !consents.contact)
    throw reportError(ReportErrorCode.Consent, 'contact details are kept only with the consent to keep them');
  if (contact.phone !== null && !PHONE.test(contact.phone))
    throw reportError(ReportErrorCode.Contact, 'the phone number is not valid');
  if (contact.email !== null && !EMAIL.test(contact.email))
    throw reportError(ReportErrorCode.Contact, 'the e-mail address is not valid');
  return {
    urls: [...urls.values()],
    category: d.category as ReportCategory,
    seenWhere: text(d.seenWhere, REPORT_LIMITS.maxSeenWhere, 'where it was seen'),
    description: text(d.description, REPORT_LIMITS.maxDescription, 'the description'),
    contact: anyContact ? contact : null,
    consents: anyContact ? consents : { contact: false, followUp: false },
  };
}

/** Crockford's base32: no I, L, O, U, so a code read over the phone is not misheard. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A tracking code: 12 symbols (60 random bits) as XXXX-XXXX-XXXX. */
export function newTrackingCode(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (let i = 0; i < 12; i++) out += ALPHABET[(bytes[i] ?? 0) & 31];
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8)}`;
}

/** A code as typed (any case, spaces or dashes, O for 0, I or L for 1) in its canonical form, or null. */
export function canonicalTrackingCode(typed: string): string | null {
  const s = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{12}$/.test(s)) return null;
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** What is stored of a code: its SHA-256 (the code carries 60 random bits: no slow hash needed). */
export const trackingDigest = (code: string): string =>
  createHash('sha256').update(`mod-report:${code}`).digest('hex');
