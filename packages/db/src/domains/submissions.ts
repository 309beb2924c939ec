/** `@mod/db/submissions`: Submissions and what happened to them: intake (with its media outbox), verdicts, classifier results, decodes under way (`createDecodeMarks`). */
export * from '../submissions.js';
export * from '../verdicts.js';
export {
  claimSubmission,
  countPendingMedia,
  createTenantDirectory,
  deletePublishedMedia,
  MEDIA_SENDER_KINDS,
  receiveMedia,
  refuseMediaSender,
  refuseTenant,
  relayMediaOutbox,
  tenantStanding,
  TenantRefusal,
  type PendingMedia,
  type ReceiveResult,
  type ReceivedMedia,
  type TenantDirectory,
  type TenantStanding,
} from '../intake.js';
export * from '../classifications.js';
export {
  createDecodeMarks,
  DECODE_LEASE_MS,
  DECODE_MARK_TTL_MS,
  type DecodeMarks,
  type DecodeMarksOptions,
  type DecodeStage,
} from '../decode-marks.js';
