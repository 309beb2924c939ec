import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ModError,
  deterministicUuid,
  readMediaEvent,
  isModError,
  type Classified,
  type MediaEvent,
} from '@mod/contracts';
import { refuseMediaSender, type SubmissionScanState, type TenantDirectory } from '@mod/db/submissions';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import type { Counter } from '@mod/telemetry';
import type { EvidenceMedia } from '@mod/vault';
import type { ClassifyOutcome } from './media-classifier.js';

export const CLASSIFIER_VERSION = 'classifier/0.1.0';

/** Why media read from a media topic is not classified (each is counted; none is an error). */
export const SkipReason = {
  /** Not a media event the scanner would take (the scanner dead-letters it). */
  NotMedia: 'not-media',
  /** It matched a list: the verdict decided, no model is needed. */
  Matched: 'matched',
  /** The scanner could not scan it (the submission failed). */
  ScanFailed: 'scan-failed',
  /** Classified before (a redelivery or a replay). */
  AlreadyClassified: 'already-classified',
  /** The event names another tenant's submission (the scanner dead-letters it). */
  NotOwned: 'not-owned',
  /** No verdict came within `verdictWaitMs` of the first read (the scanner refused or dead-lettered it). */
  NoVerdict: 'no-verdict',
  /** Its tenant is unknown, disabled or does not send media this way: the scanner dead-letters it, no verdict comes. */
  TenantRefused: 'tenant-refused',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/**
 * The media's submission is not scanned yet: awaited (`await`: without its bytes) and tried again later (the
 * classifier runs behind the scanner).
 */
export const AWAITING_VERDICT = 'MOD_ERR_CLASSIFY_AWAITING_VERDICT';
/** The bytes on the topic are not the content the submission's verdict was about. */
export const DIGEST_MISMATCH = 'MOD_ERR_CLASSIFY_DIGEST_MISMATCH';
/** Media scanned with no match is over the classifier's MAX_MEDIA_BYTES (set lower than the scanner's). */
export const MEDIA_TOO_LARGE = 'MOD_ERR_CLASSIFY_MEDIA_TOO_LARGE';

export interface ClassifyStepDeps {
  /** The internal media topic (API intake, fetcher): its events name their tenant. */
  mediaTopic: string;
  /** Topic prefix: `<prefix>mod.media-submitted.v2.<tenant>` is a platform's own topic. */
  topicPrefix: string;
  scanState: (submissionId: string) => Promise<SubmissionScanState | null>;
  /**
   * Tenants' standing, as the scanner checks it (`refuseMediaSender`): media it refuses gets no verdict (dropped,
   * counted: the scanner dead-letters it); a result of a tenant refused by the time it would be published (and open
   * a case) is dead-lettered with the refusal's code.
   */
  tenants: Pick<TenantDirectory, 'get'>;
  classify: (sha256: string, bytes: Uint8Array) => Promise<ClassifyOutcome>;
  publish: (classified: Classified) => Promise<void>;
  /**
   * Keeps media whose risk asks for review in the evidence vault, before its result is published (so a review case
   * never exists without its evidence); once per submission. Absent: the vault is off. Only those media pay for it.
   */
  keepEvidence?: (media: EvidenceMedia) => Promise<void>;
  /**
   * How long media may wait for its verdict, from when this classifier first read it, before it is given up
   * (counted). Not from the record's timestamp: on a partner's topic the partner's producer sets that.
   */
  verdictWaitMs: number;
  /** How long one attempt polls for the verdict before handing the message back to the runner's backoff. */
  pollBudgetMs?: number;
  pollIntervalMs?: number;
  maxMediaBytes: number;
  skipped: Counter<'reason'>;
  now?: () => number;
}

type Decided = { state: SubmissionScanState } | { outcome: StepOutcome };

/** Media remembered as waiting for its verdict, at most (the oldest forgotten first; in flight are far fewer). */
const MAX_WAITING = 10_000;

/**
 * Keeps the evidence, or says what becomes of the message when it cannot be: an outage (the database) is thrown
 * for the runner to retry; evidence that can never be kept is dead-lettered with its code, so no case opens
 * without it and an operator can replay the message once the cause is fixed.
 */
async function keptOrRefused(keep: () => Promise<void>): Promise<StepOutcome | null> {
  try {
    await keep();
    return null;
  } catch (err) {
    if (isModError(err) && !err.retriable) return { kind: 'dlq', code: err.code, message: err.message };
    throw err;
  }
}

/**
 * One media message, read in the classifier's own consumer group from the topics the scanner reads (so media
 * reaches the model without being copied anywhere): wait for its submission's verdict, classify it when it
 * matched nothing, and publish the result for the actioner, which records it and opens a review case when the risk
 * policy asks. The verdict always went out first; the classifier only adds to it.
 */
export function createClassifyStep(deps: ClassifyStepDeps) {
  const now = deps.now ?? Date.now;
  const pollBudgetMs = deps.pollBudgetMs ?? 2000;
  const pollIntervalMs = deps.pollIntervalMs ?? 100;
  const skip = (reason: SkipReason, detail: string): StepOutcome => {
    deps.skipped.inc({ reason });
    return { kind: 'drop', reason: `${reason}: ${detail}` };
  };

  // When this classifier first read each media still waiting for its verdict. The record's timestamp cannot say:
  // a partner's producer sets it (its event time, or a clock behind), and media stamped hours ago would be given
  // up at once, before the scanner had even claimed it. After a restart the wait starts again.
  const waitingSince = new Map<string, number>();
  const firstRead = (key: string): number => {
    const known = waitingSince.get(key);
    if (known !== undefined) return known;
    if (waitingSince.size >= MAX_WAITING) waitingSince.delete(waitingSince.keys().next().value!);
    const at = now();
    waitingSince.set(key, at);
    return at;
  };

  /** The submission once its verdict is recorded, or what to do with the message meanwhile. */
  async function verdictOf(m: ConsumedMessage, event: MediaEvent): Promise<Decided> {
    const key = `${m.topic}\n${event.submissionId}`;
    const decided = await pollVerdict(event, firstRead(key));
    if (!('outcome' in decided) || decided.outcome.kind !== 'await') waitingSince.delete(key);
    return decided;
  }

  async function pollVerdict(event: MediaEvent, since: number): Promise<Decided> {
    const { submissionId, tenantId } = event;
    const deadline = now() + pollBudgetMs;
    let standingChecked = false;
    for (;;) {
      const state = await deps.scanState(submissionId);
      if (state !== null && state.tenantId !== tenantId)
        return { outcome: skip(SkipReason.NotOwned, `${submissionId} is not ${tenantId}'s`) };
      if (state !== null && state.status !== 'received') return { state };
      // No verdict yet: none will come for media the scanner refuses for its tenant, so it is not waited for
      // (each message waiting holds a slot of the consumer, all of them shared by every topic).
      if (!standingChecked) {
        standingChecked = true;
        const refused = await refuseMediaSender(deps.tenants, event);
        if (refused !== null)
          return { outcome: skip(SkipReason.TenantRefused, `${refused.code}: ${refused.message}`) };
      }
      if (now() - since > deps.verdictWaitMs)
        return { outcome: skip(SkipReason.NoVerdict, `no verdict for ${submissionId}`) };
      // Awaited without its bytes: the runner lets them go until the verdict is there (then `reread`), so media
      // waiting an hour for a scanner behind costs no memory and keeps no abusive bytes meanwhile.
      if (now() >= deadline)
        return {
          outcome: {
            kind: 'await',
            error: new ModError(AWAITING_VERDICT, `submission ${submissionId} has no verdict yet`, {
              retriable: true,
            }),
          },
        };
      await sleep(pollIntervalMs);
    }
  }

  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    let read;
    try {
      read = readMediaEvent(m, deps);
    } catch (err) {
      if (isModError(err) && !err.retriable) return skip(SkipReason.NotMedia, err.code);
      throw err;
    }
    if (!read.ok) return skip(SkipReason.NotMedia, read.code);
    const { submissionId, tenantId } = read.event;
    const decided = await verdictOf(m, read.event);
    if ('outcome' in decided) return decided.outcome;
    const { state } = decided;
    if (state.status === 'failed') return skip(SkipReason.ScanFailed, submissionId);
    if (state.decision !== 'no-match') return skip(SkipReason.Matched, `${submissionId}: ${state.decision}`);
    if (state.classifiedAt !== null) return skip(SkipReason.AlreadyClassified, submissionId);
    // Its verdict is there and the model needs the bytes the runner let go while it waited: read them again.
    if (m.valueReleased === true) return { kind: 'reread' };
    const bytes = m.value ?? Buffer.alloc(0);
    if (bytes.length === 0) return skip(SkipReason.ScanFailed, `${submissionId}: no bytes`);
    // The scanner took it (its MAX_MEDIA_BYTES is higher): dead-lettered, for an operator to see and replay once the
    // limits agree, never dropped as if the scan had failed.
    if (bytes.length > deps.maxMediaBytes)
      return {
        kind: 'dlq',
        code: MEDIA_TOO_LARGE,
        message: `the media of ${submissionId} is ${bytes.length} bytes, over the classifier's ${deps.maxMediaBytes}`,
      };
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (state.sha256 !== sha256)
      return {
        kind: 'dlq',
        code: DIGEST_MISMATCH,
        message: `the media of ${submissionId} is not the content its verdict was about`,
      };
    const result = await deps.classify(sha256, bytes);
    if (!result.ok) {
      if (result.error.retriable)
        return { kind: 'retry', error: new Error(`${result.error.code}: ${result.error.message}`) };
      return { kind: 'dlq', code: result.error.code, message: result.error.message };
    }
    // Its standing again, now that the result would be kept and published (a case opens when the risk asks): the
    // verdict may have come before the tenant was disabled, or the tenant may have been disabled while the model
    // ran. Held like the scanner's refusals: dead-lettered with the code, replayable once the tenant is enabled.
    const refused = await refuseMediaSender(deps.tenants, read.event);
    if (refused !== null) return { kind: 'dlq', ...refused };
    if (result.classification.risk.reviewRequired && deps.keepEvidence !== undefined) {
      const refused = await keptOrRefused(() =>
        deps.keepEvidence!({ tenantId, submissionId, sha256, bytes }),
      );
      if (refused !== null) return refused;
    }
    await deps.publish({
      eventId: deterministicUuid(`classified:${submissionId}`),
      submissionId,
      tenantId,
      sha256,
      classification: result.classification,
      classifiedAt: new Date(now()).toISOString(),
      classifierVersion: CLASSIFIER_VERSION,
    });
    return { kind: 'ok' };
  };
}
