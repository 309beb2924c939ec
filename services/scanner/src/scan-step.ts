import { Codecs, type Verdict } from '@mod/contracts';
import { createContentStrikes } from '@mod/hashing';
import type { ConsumedMessage, Producer, StepOutcome } from '@mod/kafka';
import type { Counter, StageTimer } from '@mod/telemetry';
import type { EvidenceMedia } from '@mod/vault';
import type { ScanStore } from './scan-store.js';
import { acceptEvent } from './steps/accept-event.js';
import { buildVerdict } from './steps/build-verdict.js';
import { claimSubmission } from './steps/claim-submission.js';
import { createDecodeGate } from './steps/decode-marks.js';
import { hashMedia, type HashStageOptions } from './steps/hash-media.js';
import { keepEvidence, verdictNeedsReview } from './steps/keep-evidence.js';
import { matchBanks, type Banks } from './steps/match-banks.js';

export { SCANNER_VERSION } from './steps/build-verdict.js';

export interface ScanStepDeps extends HashStageOptions {
  /** The bank index, kept current from the bank-changes topic. */
  banks: Banks;
  store: ScanStore;
  /** Publishes the verdict (keyed by submission) on the verdicts topic. */
  publish: (verdict: Verdict) => Promise<void>;
  /** The internal media topic (API intake, fetcher): its events name their tenant. */
  mediaTopic: string;
  /** Topic prefix: `<prefix>mod.media-submitted.v2.<tenant>` is a platform's own topic. */
  topicPrefix: string;
  maxMediaBytes: number;
  hits: Pick<Counter<'signal'>, 'inc'>;
  /**
   * Keeps media that needs a person (a hit only in review banks; frames past the bound unhashed, nothing matched)
   * in the evidence vault before its verdict is published; absent: the vault is off.
   */
  keepEvidence?: (media: EvidenceMedia) => Promise<void>;
  /** Times each stage by name (`mod_step_stage_duration_seconds{step="scan"}`). */
  stages: StageTimer;
  now?: () => Date;
}

/** The verdicts topic as the scan step publishes to it. */
export function verdictPublisher(producer: Producer, verdictsTopic: string): (v: Verdict) => Promise<void> {
  return async (verdict) => {
    await producer.send({
      topic: verdictsTopic,
      messages: [{ key: verdict.submissionId, value: Codecs.verdict.encode(verdict) }],
    });
  };
}

/** Whether `bytes` spans its whole ArrayBuffer: the hash pool would move (detach) it rather than copy it. */
const ownsItsMemory = (bytes: Buffer) =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;

/**
 * One media event, in stages (each in `steps/`, timed by name): accept the event and its tenant, claim its
 * submission, hash the media in the pool, match the banks, keep media that needs a person in the evidence vault,
 * publish the verdict. The verdict never waits for a model: the classifier is a later stage of its own. Media bytes
 * live only in memory for the duration of this step, unless they need a person: then they are sealed in the vault.
 */
export function createScanStep(deps: ScanStepDeps) {
  const now = deps.now ?? (() => new Date());
  const { stages, store } = deps;
  const strikes = createContentStrikes();
  const gate = createDecodeGate();
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const accepted = await stages.time('accept', () => acceptEvent(m, deps, store));
    if (accepted.done) return accepted.done;
    const event = accepted.next;
    const bytes = m.value ?? Buffer.alloc(0);
    const claimed = await stages.time('claim', () =>
      claimSubmission(event, bytes, store, deps.maxMediaBytes),
    );
    if (claimed.done) return claimed.done;
    // The pool moves a buffer that owns all its memory (detaching it here) and copies a view into a larger one (a
    // record in a fetched batch, the usual case). With the vault on, an owning buffer is copied first, so the bytes
    // are still here to be sealed; a view costs nothing more.
    const forHash = deps.keepEvidence !== undefined && ownsItsMemory(bytes) ? Buffer.from(bytes) : bytes;
    const hashed = await stages.time('hash', () =>
      hashMedia(event, claimed.next, forHash, store, deps, strikes, gate),
    );
    if (hashed.done) return hashed.done;
    const hits = await stages.time('match', () => matchBanks(hashed.next, deps.banks, store));
    for (const hit of hits) deps.hits.inc({ signal: hit.signal });
    const verdict = buildVerdict(event, hashed.next, hits, now());
    const keep = deps.keepEvidence;
    if (keep !== undefined && verdictNeedsReview(verdict)) {
      const kept = await stages.time('evidence', () => keepEvidence(event, hashed.next.sha256, bytes, keep));
      if (kept.done) return kept.done;
    }
    await stages.time('publish', () => deps.publish(verdict));
    return { kind: 'ok' };
  };
}
