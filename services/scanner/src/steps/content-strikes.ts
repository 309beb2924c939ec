import { createHash } from 'node:crypto';
import type { MediaEvent } from '@mod/contracts';
import { sha256Key } from '@mod/hashing';
import type { ClaimedSubmission } from '../scan-store.js';

/**
 * Times the same content's decode may time out before its submission fails. The decode budget is wall-clock time,
 * so one timeout may be a busy machine (threads sharing cores with other work, a pause of the process): the
 * content gets one more try. A second timeout of the same bytes, under any submission, is taken as the content's
 * own: every other decode failure (corrupt, truncated, past a pixel, memory, frame or scan limit) depends on the
 * bytes alone and fails the submission on its first attempt.
 */
export const MAX_DECODE_TIMEOUTS = 2;

/**
 * What names the content for `ContentStrikes`: the SHA-256 of its bytes, computed only after a timeout or a crash (the
 * pool computes it too, but a task that timed out or crashed answers nothing). Bytes the pool took (moved, not
 * copied: see `runHashTask`) are named by the digest intake recorded, or else by their submission.
 */
export function contentKey(event: MediaEvent, claimed: ClaimedSubmission, bytes: Buffer): string {
  if (bytes.byteLength > 0) return sha256Key(createHash('sha256').update(bytes).digest('hex'));
  return claimed.sha256 === null ? `submission:${event.submissionId}` : sha256Key(claimed.sha256);
}
