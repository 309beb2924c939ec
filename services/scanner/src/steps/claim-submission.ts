import { webcrypto } from 'node:crypto';
import type { MediaEvent } from '@mod/contracts';
import type { StepOutcome } from '@mod/kafka';
import type { ClaimedSubmission, ScanStore } from '../scan-store.js';
import type { Stage } from './stage.js';

/** Why media under a submission whose content is recorded is refused: it is not that content. */
export const DIGEST_MISMATCH = {
  code: 'MOD_ERR_SCAN_DIGEST_MISMATCH',
  message: 'the media is not the content the submission recorded',
} as const;

/**
 * Establishes the event's submission: created here when the event is the first to name it (media published on
 * Kafka), refused when it belongs to another tenant. Media that cannot be scanned (empty, too large) is recorded
 * as failed and dead-lettered. A platform's event naming one of its submissions whose content is recorded (one the
 * API took) with other bytes is dead-lettered first, the submission left alone: that content's own scan may still
 * be under way, and failing it (as empty, too large, or undecodable later on) would have the classifier skip it.
 */
export async function claimSubmission(
  event: MediaEvent,
  bytes: Buffer,
  store: Pick<ScanStore, 'claimSubmission' | 'markFailed'>,
  maxMediaBytes: number,
): Promise<Stage<ClaimedSubmission>> {
  const claimed = await store.claimSubmission({
    id: event.submissionId,
    tenantId: event.tenantId,
    source: event.source,
    externalRef: event.externalRef ?? null,
    reportedCategory: event.reportedCategory ?? null,
    url: event.url ?? null,
    bytes: bytes.length,
  });
  if (claimed === null)
    return { done: { kind: 'retry', error: new Error('submission claim raced; trying again') } };
  if (claimed.tenantId !== event.tenantId)
    return {
      done: {
        kind: 'dlq',
        code: 'MOD_ERR_SCAN_SUBMISSION_NOT_OWNED',
        message: `submission ${event.submissionId} belongs to another tenant`,
      },
    };
  if (event.source === 'kafka' && claimed.sha256 !== null && (await sha256Of(bytes)) !== claimed.sha256)
    return { done: { kind: 'dlq', ...DIGEST_MISMATCH } };
  if (bytes.length === 0)
    return { done: await failSubmission(store, event, 'MOD_ERR_SCAN_EMPTY_MEDIA', 'media is empty') };
  if (bytes.length > maxMediaBytes)
    return {
      done: await failSubmission(
        store,
        event,
        'MOD_ERR_SCAN_MEDIA_TOO_LARGE',
        `media is ${bytes.length} bytes; limit ${maxMediaBytes}`,
      ),
    };
  return { next: claimed };
}

/** The bytes' SHA-256 (lowercase hex), computed off the event loop (libuv's pool). */
const sha256Of = async (bytes: Buffer): Promise<string> =>
  Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');

/**
 * Records the submission as failed with `code` and dead-letters the message; if the database cannot record it,
 * the message is retried instead (a failure is never only half reported).
 */
export async function failSubmission(
  store: Pick<ScanStore, 'markFailed'>,
  event: MediaEvent,
  code: string,
  message: string,
): Promise<StepOutcome> {
  try {
    await store.markFailed({ id: event.submissionId, tenantId: event.tenantId }, code);
  } catch (err) {
    return { kind: 'retry', error: err };
  }
  return { kind: 'dlq', code, message };
}
