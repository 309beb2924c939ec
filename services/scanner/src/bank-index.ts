import type { Hit, SignalType } from '@mod/contracts';
import type { Bank, LiveEntry } from '@mod/db';

/** Hashes of one piece of media, as the hashing package computes them. */
export interface MediaSignals {
  sha256: string;
  sha1: string;
  md5: string;
  pdq?: string;
  pdqQuality?: number;
  blockhash?: string;
}

/** Banks and their live entries, held in memory by the scanner and swapped whole on change. */
export interface BankIndex {
  readonly entryCount: number;
  match(signals: MediaSignals): Hit[];
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = i;
  let c = 0;
  while (n) {
    c += n & 1;
    n >>= 1;
  }
  return c;
});

function hamming(a: string, b: string): number {
  if (a.length !== b.length) return Number.MAX_SAFE_INTEGER;
  let d = 0;
  for (let i = 0; i < a.length; i += 2)
    d += POPCOUNT[parseInt(a.slice(i, i + 2), 16) ^ parseInt(b.slice(i, i + 2), 16)] ?? 0;
  return d;
}

const MIN_PDQ_QUALITY = 50;

export function buildBankIndex(banks: readonly Bank[], entries: readonly LiveEntry[]): BankIndex {
  const byId = new Map(banks.map((b) => [b.id, b]));
  const exact = new Map<string, LiveEntry[]>();
  const perceptual: LiveEntry[] = [];
  let count = 0;
  for (const e of entries) {
    const bank = byId.get(e.bankId);
    if (!bank?.enabled) continue;
    count++;
    if (e.signal === 'pdq' || e.signal === 'blockhash') perceptual.push(e);
    else {
      const key = `${e.signal}:${e.value}`;
      exact.set(key, [...(exact.get(key) ?? []), e]);
    }
  }
  const hit = (e: LiveEntry, signal: SignalType, distance: number): Hit => {
    const bank = byId.get(e.bankId) as Bank;
    return {
      bankId: bank.id,
      bankName: bank.name,
      entryId: e.entryId,
      signal,
      distance,
      category: e.category,
      actionPolicy: bank.actionPolicy,
      negative: bank.negative,
    };
  };
  return {
    entryCount: count,
    match(s) {
      const hits: Hit[] = [];
      for (const signal of ['sha256', 'sha1', 'md5'] as const) {
        for (const e of exact.get(`${signal}:${s[signal]}`) ?? []) hits.push(hit(e, signal, 0));
      }
      for (const e of perceptual) {
        const bank = byId.get(e.bankId) as Bank;
        if (e.signal === 'pdq' && s.pdq !== undefined && (s.pdqQuality ?? 0) >= MIN_PDQ_QUALITY) {
          const d = hamming(e.value, s.pdq);
          if (d <= bank.pdqThreshold) hits.push(hit(e, 'pdq', d));
        } else if (e.signal === 'blockhash' && s.blockhash !== undefined) {
          const d = hamming(e.value, s.blockhash);
          if (d <= bank.blockhashThreshold) hits.push(hit(e, 'blockhash', d));
        }
      }
      return hits;
    },
  };
}
