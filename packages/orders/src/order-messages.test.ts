import { Codecs, type Hit } from '@mod/contracts';
import { describe, expect, it } from 'vitest';
import type { Order } from './order.js';
import { blockingRequestFor, orderEventFor, takedownRequestFor, webhookPayload } from './order-messages.js';

const hit: Hit = {
  bankId: '5b0b6a52-7a43-4c55-8f5e-6a4b8f0f6f01',
  bankName: 'known-abuse',
  entryId: '42',
  signal: 'sha256',
  distance: 0,
  actionPolicy: 'automatic',
  negative: false,
  category: 'A',
};

const order = (o: Partial<Order> = {}): Order => ({
  id: '0b8e9a3c-36a1-4d0c-9b1a-2f1d5f9a7c10',
  kind: 'blocking',
  subject: { type: 'url', value: 'https://bad.example/x' },
  targetTenantId: 'isp-1',
  status: 'issued',
  legalBasis: 'Decree 147/2024/ND-CP',
  issuer: { kind: 'policy', id: '2026-11-28.2', bankIds: [hit.bankId] },
  issuerTenantId: null,
  issuedAt: '2026-03-01T00:00:00.000Z',
  deadlineAt: '2026-03-02T00:00:00.000Z',
  overdue: false,
  clock: {
    pausedAt: null,
    escalatedAt: null,
    nextNoticeAt: '2026-03-02T00:00:00.000Z',
    noticesSent: 1,
    renoticeIntervalMs: 86_400_000,
  },
  confirmedAt: null,
  confirmedBy: null,
  confirmedByTenantId: null,
  deliveredAt: null,
  acknowledgedAt: null,
  actionedAt: null,
  verifiedAt: null,
  verifyUrl: null,
  verificationFailures: 0,
  evidence: {
    submissionId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
    sha256: 'ab'.repeat(32),
    hits: [hit],
    policyVersion: '2026-11-28.2',
  },
  policyVersion: '2026-11-28.2',
  submissionId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  history: [],
  folded: false,
  foldedInto: null,
  ...o,
});

describe('what an order sends', () => {
  it('sends an ISP a blocking request its schema accepts, with the policy evidence', () => {
    const request = blockingRequestFor(order());
    expect(Codecs.blockingRequest.parse(request)).toEqual(request);
    expect(request).toMatchObject({
      orderId: order().id,
      ispTenantId: 'isp-1',
      subject: { type: 'url', value: 'https://bad.example/x' },
      evidence: { submissionId: order().submissionId, hits: [hit], policyVersion: '2026-11-28.2' },
    });
  });

  it('fills a blocking request’s evidence from the order when an authority recorded none', () => {
    const request = blockingRequestFor(order({ evidence: { note: 'by hand' }, submissionId: null }));
    expect(request.evidence).toEqual({
      submissionId: '00000000-0000-0000-0000-000000000000',
      hits: [],
      policyVersion: '2026-11-28.2',
    });
    expect(Codecs.blockingRequest.parse(request)).toEqual(request);
  });

  it('sends a platform a takedown request with the URL to verify and the issuer', () => {
    const request = takedownRequestFor(
      order({ kind: 'takedown', targetTenantId: 'platform-1', verifyUrl: 'https://bad.example/x' }),
    );
    expect(Codecs.takedownRequest.parse(request)).toEqual(request);
    expect(request).toMatchObject({
      platformTenantId: 'platform-1',
      url: 'https://bad.example/x',
      issuer: { kind: 'policy', id: '2026-11-28.2' },
      evidence: { sha256: 'ab'.repeat(32), hits: [hit] },
    });
  });

  it('names an authority as the issuer of its own takedown and keeps its note; no URL when none is known', () => {
    const request = takedownRequestFor(
      order({
        kind: 'takedown',
        issuer: { kind: 'authority', id: 'ministry' },
        evidence: { note: 'reported by a citizen' },
      }),
    );
    expect(request.issuer).toEqual({ kind: 'authority', id: 'ministry' });
    expect(request.evidence).toEqual({
      hits: [],
      policyVersion: '2026-11-28.2',
      note: 'reported by a citizen',
    });
    expect('url' in request).toBe(false);
  });

  it('puts a change on the order-events topic with free text cut to what the schema takes', () => {
    const event = orderEventFor({
      eventId: '9d4e1c1a-0c7e-4a8e-9a57-1d2b3c4d5e6f',
      order: order({ status: 'acknowledged' }),
      event: 'escalated',
      actor: 'a'.repeat(300),
      note: 'n'.repeat(3000),
      now: new Date('2026-03-02T01:00:00Z'),
      escalateTo: 'e'.repeat(300),
      escalationReason: 'verification-inconclusive',
    });
    expect(Codecs.orderEvent.parse(event)).toEqual(event);
    expect(event.escalationReason).toBe('verification-inconclusive');
    expect(event).toMatchObject({ status: 'acknowledged', at: '2026-03-02T01:00:00.000Z' });
    expect([event.actor.length, event.note?.length, event.escalateTo?.length]).toEqual([200, 2000, 200]);
    const plain = orderEventFor({
      eventId: '9d4e1c1a-0c7e-4a8e-9a57-1d2b3c4d5e6f',
      order: order(),
      event: 'renoticed',
      actor: 'service:actioner',
      note: null,
      now: new Date('2026-03-02T01:00:00Z'),
    });
    expect(plain.note).toBeNull();
    expect('escalateTo' in plain).toBe(false);
    expect('escalationReason' in plain).toBe(false);
  });

  it('tells a webhook the event and the order as it stands, without its evidence', () => {
    const payload = webhookPayload('acknowledged', order(), 'seen', new Date('2026-03-01T01:00:00Z'));
    expect(payload).toEqual({
      event: 'order.acknowledged',
      at: '2026-03-01T01:00:00.000Z',
      note: 'seen',
      order: {
        id: order().id,
        kind: 'blocking',
        subject: { type: 'url', value: 'https://bad.example/x' },
        status: 'issued',
        legalBasis: 'Decree 147/2024/ND-CP',
        issuedAt: '2026-03-01T00:00:00.000Z',
        deadlineAt: '2026-03-02T00:00:00.000Z',
        noticesSent: 1,
        pausedAt: null,
      },
    });
    const at = new Date('2026-03-02T01:00:00Z');
    expect(webhookPayload('escalated', order(), 'x', at, 'deadline-missed').escalationReason).toBe(
      'deadline-missed',
    );
  });
});
