/**
 * Why the review core refuses an action. Returned, never thrown: callers map each code to their own answer (the
 * API to a status, see services/api/README.md). Stable: documented in the README, never reused.
 */
export const ReviewRefusalCode = {
  /** Only a person may claim, release or decide a case, or decide a bank proposal; a machine key may not. */
  PersonRequired: 'MOD_ERR_REVIEW_PERSON_REQUIRED',
  /** The caller's role does not work this kind of case (reviewers: review cases; authorities: escalations). */
  NotYourQueue: 'MOD_ERR_REVIEW_NOT_YOUR_QUEUE',
  /** The case is decided (closed): nothing changes it any more. */
  CaseClosed: 'MOD_ERR_REVIEW_CASE_CLOSED',
  /** Another person holds the case's claim, and it has not expired. */
  CaseClaimed: 'MOD_ERR_REVIEW_CASE_CLAIMED',
  /** Deciding or releasing needs a live claim of one's own, and the case has none. */
  NotClaimed: 'MOD_ERR_REVIEW_NOT_CLAIMED',
  /** The caller's own claim has expired: claim again (if nobody else did) before deciding. */
  ClaimExpired: 'MOD_ERR_REVIEW_CLAIM_EXPIRED',
  /** This decision does not apply to this kind of case (an escalation is not escalated again). */
  DecisionNotAllowed: 'MOD_ERR_REVIEW_DECISION_NOT_ALLOWED',
  /** Every decision gives a reason: 1 to 2,000 characters, no control characters. */
  ReasonInvalid: 'MOD_ERR_REVIEW_REASON_INVALID',
  /** A confirmation names the category (A, B or C). */
  CategoryRequired: 'MOD_ERR_REVIEW_CATEGORY_REQUIRED',
  /** Only a confirmation carries a category. */
  CategoryNotAllowed: 'MOD_ERR_REVIEW_CATEGORY_NOT_ALLOWED',
  /** A field that does not belong to this decision (a bank proposal on an escalation, a target on a dismissal). */
  FieldNotAllowed: 'MOD_ERR_REVIEW_FIELD_NOT_ALLOWED',
  /** A dismissal proposes for a negative bank; a confirmation for a bank that is not negative. */
  ProposalBankMismatch: 'MOD_ERR_REVIEW_PROPOSAL_BANK_MISMATCH',
  /** The bank takes none of the signals the content has hashes for. */
  ProposalNoSignals: 'MOD_ERR_REVIEW_PROPOSAL_NO_SIGNALS',
  /** Bank proposals are decided by curators. */
  CuratorRequired: 'MOD_ERR_REVIEW_CURATOR_REQUIRED',
  /** The proposer may not decide their own proposal: two people, never one. */
  SamePerson: 'MOD_ERR_REVIEW_SAME_PERSON',
  /** The proposal is approved or rejected already. */
  ProposalDecided: 'MOD_ERR_REVIEW_PROPOSAL_DECIDED',
  /** A queue filter that cannot hold (a score outside 0..1, a minimum above the maximum). */
  FilterInvalid: 'MOD_ERR_REVIEW_FILTER_INVALID',
  /** A page cursor this core did not make. */
  CursorInvalid: 'MOD_ERR_REVIEW_CURSOR_INVALID',
  /** A review setting outside its range. */
  SettingInvalid: 'MOD_ERR_REVIEW_SETTING_INVALID',
  /** The person reached the configured number of full-image reveals for today. */
  ExposureLimit: 'MOD_ERR_REVIEW_EXPOSURE_LIMIT',
} as const;
export type ReviewRefusalCode = (typeof ReviewRefusalCode)[keyof typeof ReviewRefusalCode];

/** A refusal: its code and an English message for logs and API answers (texts.ts has both languages). */
export interface ReviewRefusal {
  ok: false;
  code: ReviewRefusalCode;
  message: string;
}

export const refuse = (code: ReviewRefusalCode, message: string): ReviewRefusal => ({
  ok: false,
  code,
  message,
});
