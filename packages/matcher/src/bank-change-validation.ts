import { MatcherError, MatcherErrorCode } from './errors.js';
import {
  DEFAULT_BLOCKHASH_RADIUS,
  DEFAULT_MIN_PDQ_QUALITY,
  DEFAULT_PDQ_RADIUS,
  SIGNALS,
  SIGNAL_HEX_LENGTH,
} from './bank-model.js';
import type { BankConfig, BankEntry, BankMatcherOptions, Signal } from './bank-model.js';

/** Checks of what reaches the matcher from outside: bank changes, options. Bad input is a typed `MatcherError`. */

const MAX_ID_LENGTH = 256;

/** Options with their defaults applied, as the matcher keeps them (and its snapshot stores them). */
export type ResolvedMatcherOptions = Required<Omit<BankMatcherOptions, 'capacity' | 'pdqChunks'>> & {
  pdqChunks?: number;
};

/** The options with defaults applied; throws `MOD_ERR_MATCHER_BAD_ARGUMENT` on a radius or quality out of range. */
export function resolveMatcherOptions(options: BankMatcherOptions): ResolvedMatcherOptions {
  const defaultPdqRadius = options.defaultPdqRadius ?? DEFAULT_PDQ_RADIUS;
  const defaultBlockhashRadius = options.defaultBlockhashRadius ?? DEFAULT_BLOCKHASH_RADIUS;
  const minPdqQuality = options.minPdqQuality ?? DEFAULT_MIN_PDQ_QUALITY;
  for (const [k, v] of [
    ['defaultPdqRadius', defaultPdqRadius],
    ['defaultBlockhashRadius', defaultBlockhashRadius],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 256) {
      throw new MatcherError(MatcherErrorCode.BadArgument, `${k} must be an integer in 0..256`);
    }
  }
  checkQuality(minPdqQuality);
  const opts: ResolvedMatcherOptions = { defaultPdqRadius, defaultBlockhashRadius, minPdqQuality };
  if (options.pdqChunks !== undefined) opts.pdqChunks = options.pdqChunks;
  return opts;
}

/** Throws `MOD_ERR_MATCHER_BAD_ARGUMENT` unless `q` is a PDQ quality floor (0..101; 101 matches nothing). */
export function checkQuality(q: number): void {
  if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > 101) {
    throw new MatcherError(MatcherErrorCode.BadArgument, `minPdqQuality must be an integer in 0..101`);
  }
}

export function badChange(message: string): MatcherError {
  return new MatcherError(MatcherErrorCode.BadChange, message);
}

/** A bank or entry id: a non-empty string of at most 256 characters. */
export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw badChange(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

function checkRadius(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 256) {
    throw badChange(`${what} must be an integer in 0..256`);
  }
  return value;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Validates an entry (shape, signal, hex length, quality) and returns it normalised (lowercase value). */
export function validateEntry(raw: unknown): BankEntry {
  if (!isObject(raw)) throw badChange('entry must be an object');
  const entryId = checkId(raw.entryId, 'entryId');
  const bankId = checkId(raw.bankId, 'bankId');
  const signal = raw.signal;
  if (typeof signal !== 'string' || !(SIGNALS as readonly string[]).includes(signal)) {
    throw badChange(`signal must be one of ${SIGNALS.join(', ')}`);
  }
  const sig = signal as Signal;
  const value = raw.value;
  const len = SIGNAL_HEX_LENGTH[sig];
  if (typeof value !== 'string' || value.length !== len || !/^[0-9a-fA-F]+$/.test(value)) {
    throw new MatcherError(MatcherErrorCode.BadHash, `${sig} value must be ${len} hex digits`);
  }
  const quality = raw.quality;
  if (
    quality !== undefined &&
    (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 0 || quality > 100)
  ) {
    throw badChange('quality must be an integer in 0..100');
  }
  const out: BankEntry = { entryId, bankId, signal: sig, value: value.toLowerCase() };
  if (quality !== undefined) out.quality = quality;
  return out;
}

/** Validates a bank's settings and returns them with only the known fields. */
export function validateBank(raw: unknown): BankConfig {
  if (!isObject(raw)) throw badChange('bank must be an object');
  const bankId = checkId(raw.bankId, 'bankId');
  if (typeof raw.enabled !== 'boolean') throw badChange('bank.enabled must be a boolean');
  if (typeof raw.negative !== 'boolean') throw badChange('bank.negative must be a boolean');
  const t = raw.thresholds ?? {};
  if (!isObject(t)) throw badChange('bank.thresholds must be an object');
  const thresholds: BankConfig['thresholds'] = {};
  const pdq = checkRadius(t.pdq, 'thresholds.pdq');
  const blockhash = checkRadius(t.blockhash, 'thresholds.blockhash');
  if (pdq !== undefined) thresholds.pdq = pdq;
  if (blockhash !== undefined) thresholds.blockhash = blockhash;
  return { bankId, enabled: raw.enabled, negative: raw.negative, thresholds };
}
