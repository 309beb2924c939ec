import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ContractError, createCodec, urlObservedCodec } from './index.js';
import { ClosedObject, IsoTime } from './schema-parts.js';

const codec = createCodec('time.v1', ClosedObject({ at: IsoTime }));
const isIsoTime = TypeCompiler.Compile(IsoTime);

/** The code a timestamp is refused with, or null when it is taken. */
function refusal(at: string): string | null {
  try {
    codec.parse({ at });
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return (err as ContractError).code;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('IsoTime', () => {
  it('takes what Date.prototype.toISOString writes, with or without fractional seconds', () => {
    for (const at of [
      new Date(0).toISOString(),
      new Date().toISOString(),
      '2026-12-31T23:59:59.999Z',
      '2026-01-01T00:00:00Z',
      '2026-06-30T12:30:45.123456Z',
    ])
      expect(refusal(at), at).toBeNull();
  });

  it('refuses days, months and times that do not exist, with the contract code', () => {
    for (const at of [
      '2026-02-31T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-06-31T00:00:00Z',
      '2026-09-31T00:00:00Z',
      '2026-11-31T00:00:00Z',
      '2026-01-32T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T25:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-01-01T23:59:61Z',
    ])
      expect(refusal(at), at).toBe('MOD_ERR_CONTRACT_INVALID');
  });

  it('takes 29 February in a leap year only (divisible by 4, not by 100 unless by 400)', () => {
    expect(refusal('2028-02-29T00:00:00Z')).toBeNull();
    expect(refusal('2024-02-29T23:59:59.5Z')).toBeNull();
    expect(refusal('2000-02-29T00:00:00Z')).toBeNull();
    expect(refusal('2026-02-29T00:00:00Z')).toBe('MOD_ERR_CONTRACT_INVALID');
    expect(refusal('2100-02-29T00:00:00Z')).toBe('MOD_ERR_CONTRACT_INVALID');
    expect(refusal('1900-02-29T00:00:00Z')).toBe('MOD_ERR_CONTRACT_INVALID');
  });

  it('refuses a leap second: Date cannot hold one, and toISOString never writes one', () => {
    expect(Number.isNaN(Date.parse('2016-12-31T23:59:60Z'))).toBe(true);
    expect(refusal('2016-12-31T23:59:60Z')).toBe('MOD_ERR_CONTRACT_INVALID');
  });

  it('takes exactly the days the calendar has, from 0000 to 9999', () => {
    // Every year's 13 × 32 candidate days, against what Date makes of the same year, month and day.
    const disagreements: string[] = [];
    for (let year = 0; year <= 9999; year += year < 1500 || year > 2500 ? 97 : 1)
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++) {
          const at = `${pad(year, 4)}-${pad(month)}-${pad(day)}T00:00:00Z`;
          const date = new Date(0);
          date.setUTCFullYear(year, month - 1, day);
          const exists =
            month >= 1 &&
            month <= 12 &&
            date.getUTCFullYear() === year &&
            date.getUTCMonth() === month - 1 &&
            date.getUTCDate() === day;
          if (isIsoTime.Check(at) !== exists) disagreements.push(at);
        }
    expect(disagreements).toEqual([]);
  });

  it("holds on the messages that carry one: an ISP's URL observed on 31 February is refused", () => {
    const observed = {
      eventId: '00000000-0000-4000-8000-000000000001',
      tenantId: 'isp-a',
      source: 'kafka',
      url: 'https://a.example/x',
      observedAt: '2026-02-28T10:00:00Z',
    } as const;
    expect(urlObservedCodec.parse(observed)).toEqual(observed);
    const bytes = Buffer.from(JSON.stringify({ ...observed, observedAt: '2026-02-31T10:00:00Z' }));
    expect(() => urlObservedCodec.decode(bytes)).toThrow(/observedAt/);
  });
});
