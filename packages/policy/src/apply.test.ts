import { describe, expect, it } from 'vitest';
import type { Hit } from '@mod/contracts';
import {
  BY_POLICY,
  defaultPolicy,
  evaluateConfirmedCase,
  evaluateVerdict,
  issuePlannedOrders,
  openPlannedCases,
  orderTargets,
  type AppliedBy,
  type AuditIntent,
  type CaseToOpen,
  type DecisionEffects,
  type OrderToOpen,
} from './index.js';

const now = new Date('2026-03-01T00:00:00Z');
const sha256 = 'a'.repeat(64);
const reviewHit: Hit = {
  bankId: 'review-bank',
  bankName: 'suspected',
  entryId: '7',
  signal: 'pdq',
  distance: 20,
  category: null,
  actionPolicy: 'review',
  negative: false,
};
const context = {
  policy: defaultPolicy,
  ispSubscribers: ['isp-1'],
  hostingPlatformTenantId: 'platform-1',
  // Seen by the system at its URL (a hotline's report the fetcher fetched): the hosting platform gets a takedown.
  urlProvenance: { submitterTenantId: 'hotline-1', observed: true },
  now,
};

/** The decision when a reviewer confirms the review-bank hit on an image seen at a URL, in this category. */
function reviewHitConfirmed(category: string) {
  return evaluateConfirmedCase(
    { sha256, url: 'https://cdn.example.org/x.jpg', hits: [reviewHit], category, confirmedBy: 'reviewer' },
    context,
  );
}

/** The effects in memory: orders fold by (kind, subject, target) as the store's do. */
function memoryEffects() {
  const orders = new Map<string, OrderToOpen & { id: string }>();
  const cases: (CaseToOpen & { id: string })[] = [];
  const announced: string[] = [];
  const records: AuditIntent[] = [];
  const fx: DecisionEffects = {
    openOrder: async (o) => {
      const key = `${o.kind}|${o.subjectType}|${o.subjectValue}|${o.targetTenantId}`;
      const open = orders.get(key);
      if (open !== undefined) return { id: open.id, created: false };
      const id = `order-${orders.size + 1}`;
      orders.set(key, { ...o, id });
      return { id, created: true };
    },
    announceOrder: async (id) => void announced.push(id),
    openCase: async (c) => {
      const open = cases.find((x) => x.submissionId === c.submissionId && x.kind === c.kind);
      if (open !== undefined) return { id: open.id, created: false };
      const id = `case-${cases.length + 1}`;
      cases.push({ ...c, id });
      return { id, created: true };
    },
    audit: async (r) => void records.push(r),
  };
  return { fx, orders, cases, announced, records };
}

describe('a confirmed case', () => {
  it('leads to the orders an automatic match would issue, for the case’s banks, and a confirmation case', () => {
    const d = reviewHitConfirmed('B');
    expect(d.outcome).toBe('block');
    expect(d.orders.map((o) => [o.kind, o.targetTenantId, o.subject, o.bankIds])).toEqual([
      ['blocking', 'isp-1', { type: 'content-hash', value: sha256 }, ['review-bank']],
      ['takedown', 'platform-1', { type: 'url', value: 'https://cdn.example.org/x.jpg' }, ['review-bank']],
    ]);
    expect(d.cases).toEqual([
      {
        kind: 'confirm',
        reason: 'reviewer confirmed category B: 2 order(s) issued',
        caseReason: {
          code: 'confirm-confirmed',
          confirmedBy: 'reviewer',
          category: 'B',
          orders: 2,
          takedownWithheldTo: null,
        },
        assignee: defaultPolicy.confirmingAuthority,
      },
    ]);
    expect(d.evidence).toMatchObject({ hits: [reviewHit], sha256, confirmedCategory: 'B' });
  });

  it('blocks the URL subject a fetcher’s case was about, and plans the same orders as an automatic hit would', () => {
    const subject = { type: 'url' as const, value: 'https://bad.example.org/page' };
    const confirmed = evaluateConfirmedCase(
      { sha256, subject, hits: [], category: 'A', confirmedBy: 'reviewer' },
      context,
    );
    const automatic = evaluateVerdict(
      { hits: [{ ...reviewHit, actionPolicy: 'automatic' }], hashes: { sha256 }, subject },
      context,
    );
    expect(confirmed.orders.map((o) => ({ ...o, bankIds: [] }))).toEqual(
      automatic.orders.map((o) => ({ ...o, bankIds: [] })),
    );
    expect(confirmed.evidence.subject).toEqual(subject);
  });
});

describe('a confirmation with no target', () => {
  it('plans no order and no confirmation case, which only its orders could ever close', () => {
    const none = evaluateConfirmedCase(
      { sha256, hits: [reviewHit], category: 'A', confirmedBy: 'reviewer' },
      { ...context, ispSubscribers: [], hostingPlatformTenantId: null },
    );
    expect(none).toMatchObject({ outcome: 'block', orders: [], cases: [] });
  });
});

describe('order targets', () => {
  const lookups = {
    blockingSubscribers: async () => ['isp-1', 'isp-2'],
    platformForHost: async (host: string) => (host === 'cdn.example.org' ? 'platform-1' : null),
  };

  it('looks the ISPs and the hosting platform up only when orders follow, with the URL’s provenance', async () => {
    const submission = { tenantId: 'platform-2', source: 'kafka' };
    const urlProvenance = { submitterTenantId: 'platform-2', observed: false };
    expect(await orderTargets(lookups, { url: 'https://CDN.example.org/a', submission }, true)).toEqual({
      ispSubscribers: ['isp-1', 'isp-2'],
      hostingPlatformTenantId: 'platform-1',
      urlProvenance,
    });
    const fetched = { tenantId: 'isp-1', source: 'fetcher' };
    expect(
      await orderTargets(
        lookups,
        { subject: { type: 'url', value: 'https://x.example.net/' }, submission: fetched },
        true,
      ),
    ).toEqual({
      ispSubscribers: ['isp-1', 'isp-2'],
      hostingPlatformTenantId: null,
      urlProvenance: { submitterTenantId: 'isp-1', observed: true },
    });
    expect(await orderTargets(lookups, { url: 'https://cdn.example.org/a', submission }, false)).toEqual({
      ispSubscribers: [],
      hostingPlatformTenantId: null,
      urlProvenance,
    });
  });
});

describe('applying a decision', () => {
  const decision = reviewHitConfirmed('C');
  const content = { submissionId: 'sub-1', hashes: { sha256 } };
  const reviewer: AppliedBy = {
    actor: { kind: 'person', id: 'p-ana' },
    role: 'reviewer',
    label: 'reviewer:hotline:p-ana',
    issuer: { kind: 'policy' },
  };

  it('issues, announces and audits each new order in the name of who applied it, and folds repeats', async () => {
    const m = memoryEffects();
    const first = await issuePlannedOrders(m.fx, {
      decision,
      content,
      policy: defaultPolicy,
      at: now,
      by: reviewer,
    });
    expect(first).toEqual({ orderIds: ['order-1', 'order-2'], issued: ['blocking', 'takedown'] });
    expect(m.announced).toEqual(['order-1', 'order-2']);
    expect([...m.orders.values()].map((o) => [o.issuer, o.actor])).toEqual([
      [{ kind: 'policy', id: defaultPolicy.version, bankIds: ['review-bank'] }, 'reviewer:hotline:p-ana'],
      [{ kind: 'policy', id: defaultPolicy.version, bankIds: ['review-bank'] }, 'reviewer:hotline:p-ana'],
    ]);
    expect(m.records.map((r) => [r.action, r.actor, r.role, r.subject.id])).toEqual([
      ['order.issued', { kind: 'person', id: 'p-ana' }, 'reviewer', 'order-1'],
      ['order.issued', { kind: 'person', id: 'p-ana' }, 'reviewer', 'order-2'],
    ]);

    const again = await issuePlannedOrders(m.fx, { decision, content, policy: defaultPolicy, at: now });
    expect(again).toEqual({ orderIds: ['order-1', 'order-2'], issued: [] });
    expect(m.records).toHaveLength(2);
  });

  it('issues an authority’s own orders in its name', async () => {
    const m = memoryEffects();
    await issuePlannedOrders(m.fx, {
      decision,
      content,
      policy: defaultPolicy,
      at: now,
      by: { ...reviewer, role: 'authority', issuer: { kind: 'authority', tenantId: 'mic' } },
    });
    expect([...m.orders.values()].map((o) => [o.issuer, o.issuerTenantId])).toEqual([
      [{ kind: 'authority', id: 'mic', bankIds: ['review-bank'] }, 'mic'],
      [{ kind: 'authority', id: 'mic', bankIds: ['review-bank'] }, 'mic'],
    ]);
  });

  it('opens each planned case once and audits it (policy by default)', async () => {
    const m = memoryEffects();
    const o = {
      cases: decision.cases,
      evidence: decision.evidence,
      submissionId: 'sub-1',
      tenantId: 'platform-1',
      orderIds: ['order-1'],
      policyVersion: defaultPolicy.version,
      at: now,
    };
    await openPlannedCases(m.fx, o);
    await openPlannedCases(m.fx, { ...o, by: reviewer });
    expect(m.cases).toHaveLength(1);
    expect(m.cases[0]).toMatchObject({ kind: 'confirm', submissionId: 'sub-1', orderIds: ['order-1'] });
    expect(m.records.map((r) => [r.action, r.actor])).toEqual([['case.opened', BY_POLICY.actor]]);
  });
});
