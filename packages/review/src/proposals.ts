import { isDegenerateHash } from '@mod/matcher';
import type { Actor } from './case-life.js';
import { checkReason, type Category, type Decision } from './decisions.js';
import { refuse, ReviewRefusalCode, type ReviewRefusal } from './refusals.js';

/** Signals a bank entry can hold, and which of them a proposal may carry. */
export const ProposalSignals = ['sha256', 'sha1', 'md5', 'pdq', 'blockhash'] as const;
export type ProposalSignal = (typeof ProposalSignals)[number];

/** One hash a proposal would add to a bank. */
export interface ProposalEntry {
  signal: ProposalSignal;
  value: string;
  category: Category | null;
}

/** The bank a proposal is for, as the core needs it. */
export interface ProposalBank {
  negative: boolean;
  signalTypes: readonly string[];
}

/**
 * The entries a decision proposes for `bank`: the content's hashes of the signals the bank takes (never blank
 * media's perceptual hash). A dismissal
 * proposes for a negative bank (known benign: its hits suppress future matches), a confirmation for a bank that
 * is not negative (its category kept on each entry). Refused when the bank does not fit or takes none of them.
 */
export function proposalEntries(
  decision: Decision,
  category: Category | null,
  bank: ProposalBank,
  hashes: Partial<Record<ProposalSignal, string | undefined>>,
): ProposalEntry[] | ReviewRefusal {
  if (decision === 'escalate')
    return refuse(ReviewRefusalCode.FieldNotAllowed, 'an escalation proposes nothing for a bank');
  if ((decision === 'dismiss') !== bank.negative)
    return refuse(
      ReviewRefusalCode.ProposalBankMismatch,
      decision === 'dismiss'
        ? 'a dismissed case is proposed for a negative bank'
        : 'a confirmed case is proposed for a bank that is not negative',
    );
  const entries: ProposalEntry[] = [];
  for (const signal of ProposalSignals) {
    const value = hashes[signal];
    // Blank media's perceptual hash (every bit the same) is never proposed, as imported lists refuse it: in a bank
    // it would match every blank or nearly blank upload.
    if (
      value !== undefined &&
      bank.signalTypes.includes(signal) &&
      !isDegenerateHash(signal, value.toLowerCase())
    )
      entries.push({
        signal,
        value: value.toLowerCase(),
        category: decision === 'confirm' ? category : null,
      });
  }
  if (entries.length === 0)
    return refuse(ReviewRefusalCode.ProposalNoSignals, 'the bank takes none of the signals this content has');
  return entries;
}

export type ProposalStatus = 'pending' | 'approved' | 'rejected';

export interface ProposalView {
  status: ProposalStatus;
  /** The person who proposed (the deciding reviewer). */
  proposedBy: string;
}

export interface ProposalVerdict {
  ok: true;
  status: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: Date;
  reason: string | null;
}

/**
 * A curator's verdict on a bank proposal. Two people, never one: the proposer can never approve (nor reject)
 * their own proposal, and only a person of role curator decides. A rejection gives a reason; an approval may.
 * The store applies it only to a proposal still pending, so two curators racing never both decide.
 */
export function decideProposal(
  p: ProposalView,
  actor: Actor,
  verdict: 'approve' | 'reject',
  reason: string | undefined,
  now: Date,
): ProposalVerdict | ReviewRefusal {
  if (actor.personId === null)
    return refuse(ReviewRefusalCode.PersonRequired, 'only a signed-in person may decide a proposal');
  if (actor.role !== 'curator')
    return refuse(ReviewRefusalCode.CuratorRequired, 'bank proposals are decided by curators');
  if (p.status !== 'pending') return refuse(ReviewRefusalCode.ProposalDecided, `the proposal is ${p.status}`);
  if (p.proposedBy === actor.personId)
    return refuse(ReviewRefusalCode.SamePerson, 'another person must decide your proposal');
  let checked: string | null = null;
  if (reason !== undefined || verdict === 'reject') {
    const r = checkReason(reason ?? '');
    if (typeof r !== 'string') return r;
    checked = r;
  }
  return {
    ok: true,
    status: verdict === 'approve' ? 'approved' : 'rejected',
    decidedBy: actor.personId,
    decidedAt: now,
    reason: checked,
  };
}
