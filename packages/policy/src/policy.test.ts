import { describe, expect, it } from 'vitest';
import type { Hit } from '@mod/contracts';
import { defaultPolicy, evaluateVerdict } from './index.js';

const hit = (over: Partial<Hit>): Hit => ({
  bankId: 'b1',
  bankName: 'bank',
  entryId: '1',
  signal: 'pdq',
  distance: 3,
  category: 'A',
  actionPolicy: 'automatic',
  negative: false,
  ...over,
});
const hashes = { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32) };
const now = new Date('2026-01-01T00:00:00Z');
const context = { policy: defaultPolicy, ispSubscribers: ['isp-1', 'isp-2'], now };

describe('evaluateVerdict', () => {
  it('orders blocking at every subscribed ISP for an automatic bank hit, with the deadline from policy', () => {
    const d = evaluateVerdict({ hits: [hit({}), hit({ bankId: 'b0', entryId: '2' })], hashes }, context);
    expect(d.outcome).toBe('block');
    expect(d.orders.map((o) => o.targetTenantId)).toEqual(['isp-1', 'isp-2']);
    expect(d.orders[0]).toMatchObject({
      subject: { type: 'content-hash', value: hashes.sha256 },
      bankIds: ['b0', 'b1'],
    });
    expect(d.orders[0]?.deadlineAt.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(d.evidence.policyVersion).toBe(defaultPolicy.version);
  });

  it('sends review-bank hits to review, suppresses on a negative bank, and does nothing without hits', () => {
    expect(evaluateVerdict({ hits: [hit({ actionPolicy: 'review' })], hashes }, context)).toMatchObject({
      outcome: 'review',
      orders: [],
    });
    expect(evaluateVerdict({ hits: [hit({}), hit({ negative: true })], hashes }, context)).toMatchObject({
      outcome: 'suppressed',
      orders: [],
    });
    expect(evaluateVerdict({ hits: [], hashes }, context)).toMatchObject({ outcome: 'none', orders: [] });
  });
});
