import type { FramesUnexamined } from '@mod/contracts';

/**
 * Why policy opened a case, as data: a stable code and its parameters, which the console puts into words for people
 * (Vietnamese by default, English). The case's English `reason` stays the text stored and logged (and what a
 * console shows for a case opened before cases carried a code). Kept in the case's evidence as `caseReason`.
 */
export type CaseReason =
  /** Hits in review banks only (their names, sorted). */
  | { code: 'review-bank-hit'; banks: string[] }
  /**
   * A multi-frame file whose leading `examined` of `count` frames matched nothing, the rest unhashed (`why`, when the
   * verdict says: `no-decoder` for an animated PNG, whose later frames no decoder here reads).
   */
  | { code: 'review-frames-unhashed'; examined: number; count: number; why?: FramesUnexamined }
  /**
   * A multi-frame file whose leading `examined` of `count` frames the classifier scored below review, the rest not
   * scored (`why`: frame-limit, time-limit, decode-refused, or no-decoder for an animated PNG's later frames).
   */
  | { code: 'review-frames-unscored'; examined: number; count: number; why: FramesUnexamined }
  /** The classifier asks for review (its risk score, 0 to 1; null when unknown). */
  | { code: 'review-classifier'; riskScore: number | null }
  /**
   * An automatic match: orders issued for the banks (and categories) it hit; `takedownWithheldTo` names the
   * platform a takedown was withheld from (the case's findings say why), null when none was.
   */
  | {
      code: 'confirm-automatic';
      banks: string[];
      categories: string[];
      orders: number;
      takedownWithheldTo: string | null;
    }
  /** A person (`confirmedBy`, a role) confirmed the content as `category`: orders issued, as above. */
  | {
      code: 'confirm-confirmed';
      confirmedBy: string;
      category: string;
      orders: number;
      takedownWithheldTo: string | null;
    };

/** Every reason code, for schemas and exhaustive checks. */
export const CaseReasonCodes = [
  'review-bank-hit',
  'review-frames-unhashed',
  'review-frames-unscored',
  'review-classifier',
  'confirm-automatic',
  'confirm-confirmed',
] as const satisfies readonly CaseReason['code'][];

/** A case's evidence with its reason attached (the key `caseReason`), as openPlannedCases stores it. */
export const withCaseReason = (evidence: object, reason: CaseReason): object => ({
  ...evidence,
  caseReason: reason,
});

/**
 * A case's evidence without the reason policy opened it for: an escalation takes over the findings of the case it
 * came from, but its reason is the person's who escalated it.
 */
export function withoutCaseReason(evidence: unknown): unknown {
  if (typeof evidence !== 'object' || evidence === null || Array.isArray(evidence)) return evidence;
  const { caseReason: _dropped, ...rest } = evidence as Record<string, unknown>;
  return rest;
}
