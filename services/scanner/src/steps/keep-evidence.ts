import { isModError, type Hit, type MediaEvent, type Verdict } from '@mod/contracts';
import { decide, framesNeedReview, ordersFollow } from '@mod/policy';
import type { EvidenceMedia } from '@mod/vault';
import type { Stage } from './stage.js';

/**
 * Whether policy turns these hits into a review case (hits only in review banks, none negative): the media needs a
 * person, so it is kept in the evidence vault. An automatic hit is known material (orders follow, no preview is
 * needed); a negative hit suppresses everything.
 */
export function hitsNeedReview(hits: readonly Pick<Hit, 'actionPolicy' | 'negative'>[]): boolean {
  return decide(hits) === 'match' && !ordersFollow(hits);
}

/**
 * Whether policy opens a review case for this verdict's hits and frames: `hitsNeedReview`, or a multi-frame file
 * whose frames past the bound were not hashed and nothing decided it (`framesNeedReview`).
 */
export function verdictNeedsReview(verdict: Pick<Verdict, 'hits' | 'frames'>): boolean {
  return hitsNeedReview(verdict.hits) || framesNeedReview(verdict);
}

/**
 * Seals the media in the evidence vault before the verdict that opens its review case is published, once per
 * submission (a redelivery finds the item). An outage is thrown for the runner to retry; evidence that can never
 * be kept dead-letters the message with its code, so no case opens without its evidence.
 */
export async function keepEvidence(
  event: MediaEvent,
  sha256: string,
  bytes: Uint8Array,
  keep: (media: EvidenceMedia) => Promise<void>,
): Promise<Stage<null>> {
  try {
    await keep({ tenantId: event.tenantId, submissionId: event.submissionId, sha256, bytes });
  } catch (err) {
    if (isModError(err) && !err.retriable)
      return { done: { kind: 'dlq', code: err.code, message: err.message } };
    throw err;
  }
  return { next: null };
}
