import { describe, expect, it } from 'vitest';
import { decideProposal, proposalEntries, ReviewRefusalCode, type Actor } from './index.js';

const now = new Date('2026-03-01T10:00:00Z');
const hashes = { sha256: 'A'.repeat(64), md5: 'b'.repeat(32), pdq: 'c'.repeat(64), sha1: undefined };
const curatorAn: Actor = { personId: 'p-an', role: 'curator', tenantId: 'hotline' };
const pending = { status: 'pending' as const, proposedBy: 'p-ana' };

describe('proposal entries', () => {
  it('proposes a dismissed case’s hashes the negative bank takes, without a category', () => {
    expect(
      proposalEntries('dismiss', null, { negative: true, signalTypes: ['sha256', 'pdq', 'sha1'] }, hashes),
    ).toEqual([
      { signal: 'sha256', value: 'a'.repeat(64), category: null },
      { signal: 'pdq', value: 'c'.repeat(64), category: null },
    ]);
  });

  it('keeps a confirmed case’s category on each entry', () => {
    expect(proposalEntries('confirm', 'A', { negative: false, signalTypes: ['md5'] }, hashes)).toEqual([
      { signal: 'md5', value: 'b'.repeat(32), category: 'A' },
    ]);
  });

  it('refuses a bank of the wrong polarity, a bank that takes none of the signals, and escalations', () => {
    expect(
      proposalEntries('dismiss', null, { negative: false, signalTypes: ['sha256'] }, hashes),
    ).toMatchObject({
      code: ReviewRefusalCode.ProposalBankMismatch,
    });
    expect(
      proposalEntries('confirm', 'B', { negative: true, signalTypes: ['sha256'] }, hashes),
    ).toMatchObject({
      code: ReviewRefusalCode.ProposalBankMismatch,
    });
    expect(
      proposalEntries('dismiss', null, { negative: true, signalTypes: ['blockhash'] }, hashes),
    ).toMatchObject({
      code: ReviewRefusalCode.ProposalNoSignals,
    });
    expect(
      proposalEntries('escalate', null, { negative: true, signalTypes: ['sha256'] }, hashes),
    ).toMatchObject({
      code: ReviewRefusalCode.FieldNotAllowed,
    });
  });
});

describe('deciding a proposal: two people, never one', () => {
  it('lets another person, a curator, approve (reason optional) or reject (reason required)', () => {
    expect(decideProposal(pending, curatorAn, 'approve', undefined, now)).toEqual({
      ok: true,
      status: 'approved',
      decidedBy: 'p-an',
      decidedAt: now,
      reason: null,
    });
    expect(decideProposal(pending, curatorAn, 'reject', ' not benign ', now)).toMatchObject({
      status: 'rejected',
      reason: 'not benign',
    });
    expect(decideProposal(pending, curatorAn, 'reject', undefined, now)).toMatchObject({
      code: ReviewRefusalCode.ReasonInvalid,
    });
    expect(decideProposal(pending, curatorAn, 'approve', '\u0000', now)).toMatchObject({
      code: ReviewRefusalCode.ReasonInvalid,
    });
  });

  it('refuses the proposer, even as a curator, either way', () => {
    const proposerAsCurator: Actor = { ...curatorAn, personId: 'p-ana' };
    for (const verdict of ['approve', 'reject'] as const)
      expect(decideProposal(pending, proposerAsCurator, verdict, 'mine', now)).toMatchObject({
        code: ReviewRefusalCode.SamePerson,
      });
  });

  it('refuses machines, other roles and decided proposals', () => {
    expect(
      decideProposal(pending, { ...curatorAn, personId: null }, 'approve', undefined, now),
    ).toMatchObject({
      code: ReviewRefusalCode.PersonRequired,
    });
    expect(
      decideProposal(pending, { ...curatorAn, role: 'reviewer' }, 'approve', undefined, now),
    ).toMatchObject({
      code: ReviewRefusalCode.CuratorRequired,
    });
    expect(
      decideProposal({ ...pending, status: 'approved' }, curatorAn, 'reject', 'late', now),
    ).toMatchObject({ code: ReviewRefusalCode.ProposalDecided });
  });
});
