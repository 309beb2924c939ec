import { Codecs, type Verdict } from '@mod/contracts';
import type { ConsumedMessage, Producer, StepOutcome } from '@mod/kafka';
import type { Counter, StageTimer } from '@mod/telemetry';
import type { ScanStore } from './scan-store.js';
import { acceptEvent } from './steps/accept-event.js';
import { buildVerdict } from './steps/build-verdict.js';
import { claimSubmission } from './steps/claim-submission.js';
import { hashMedia, type HashStageOptions } from './steps/hash-media.js';
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

/**
 * One media event, in stages (each in `steps/`, timed by name): accept the event and its tenant, claim its
 * submission, hash the media in the pool, match the banks, publish the verdict. The verdict never waits for a
 * model: the classifier is a later stage of its own. Media bytes live only in memory for the duration of this step.
 */
export function createScanStep(deps: ScanStepDeps) {
  const now = deps.now ?? (() => new Date());
  const { stages, store } = deps;
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const accepted = await stages.time('accept', () => acceptEvent(m, deps, store));
    if (accepted.done) return accepted.done;
    const event = accepted.next;
    const bytes = m.value ?? Buffer.alloc(0);
    const claimed = await stages.time('claim', () =>
      claimSubmission(event, bytes, store, deps.maxMediaBytes),
    );
    if (claimed.done) return claimed.done;
    const hashed = await stages.time('hash', () => hashMedia(event, claimed.next, bytes, store, deps));
    if (hashed.done) return hashed.done;
    const hits = await stages.time('match', () => matchBanks(hashed.next, deps.banks, store));
    for (const hit of hits) deps.hits.inc({ signal: hit.signal });
    await stages.time('publish', () => deps.publish(buildVerdict(event, hashed.next, hits, now())));
    return { kind: 'ok' };
  };
}
