import { describe, expect, it } from 'vitest';
import { expiresInFuture, satisfiesRule, TenantFieldRules } from './tenant-rules.js';

describe('tenant field rules', () => {
  it('take lowercase slugs as tenant ids', () => {
    const ok = (id: string) => satisfiesRule(TenantFieldRules.tenantId, id);
    expect(['ops', 'isp-1', '0', 'a'.repeat(63)].every(ok)).toBe(true);
    expect(['', 'Ops', '-ops', 'isp_1', 'isp 1', 'a'.repeat(64), 'ops\n'].some(ok)).toBe(false);
  });

  it('bound names and labels in code points, as the API schema validator counts, and refuse control characters', () => {
    const name = (s: string) => satisfiesRule(TenantFieldRules.tenantName, s);
    expect(name('Viettel')).toBe(true);
    expect(name('😀'.repeat(200))).toBe(true); // 400 UTF-16 units, 200 code points
    expect(name('😀'.repeat(201))).toBe(false);
    expect(name('')).toBe(false);
    expect(name('a\u0007b')).toBe(false);
    expect(name('a\u007fb')).toBe(false);
    const label = (s: string) => satisfiesRule(TenantFieldRules.credentialLabel, s);
    expect(label('x'.repeat(100))).toBe(true);
    expect(label('x'.repeat(101))).toBe(false);
    expect(label('line\nbreak')).toBe(false);
    // C1 controls, and bidi overrides and isolates that make a name display other than it is stored.
    expect(['a\u009bb', 'Viettel\u202e', '\u2067ISP\u2069'].some(name)).toBe(false);
  });

  it('want an expiry strictly after now', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(expiresInFuture(new Date('2026-01-01T00:00:00.001Z'), now)).toBe(true);
    expect(expiresInFuture(now, now)).toBe(false);
    expect(expiresInFuture(new Date('2025-12-31T23:59:59Z'), now)).toBe(false);
  });
});
