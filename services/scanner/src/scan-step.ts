import { Codecs, type Hit, type Verdict } from '@mod/contracts';
import { markSubmissionFailed, toDatabaseError, type Queryable } from '@mod/db';
import type { HashTaskOutput } from '@mod/hashing';
import type { ConsumedMessage, Producer, StepOutcome } from '@mod/kafka';
import type { Counter } from '@mod/telemetry';
import type { BankIndex } from './bank-index.js';
import { deterministicUuid } from './ids.js';

export const SCANNER_VERSION = 'scanner/0.1.0';

export interface ScanStepDeps {
  /** Hashes media in the worker pool; the buffer is moved, not copied. */
  hash: (bytes: Uint8Array) => Promise<HashTaskOutput>;
  /** The current bank index (swapped whole when banks change). */
  banks: () => BankIndex;
  producer: Producer;
  verdictsTopic: string;
  db: Queryable;
  maxMediaBytes: number;
  hits: Counter<'signal'>;
  now?: () => Date;
}

/** Decision from the hits: a negative-bank hit suppresses every other hit. */
export function decide(hits: readonly Hit[]): Verdict['decision'] {
  if (hits.some((h) => h.negative)) return 'suppressed';
  return hits.length > 0 ? 'match' : 'no-match';
}

/**
 * One media event: validate, hash in the pool, match the banks, publish the verdict. Media bytes live only in
 * memory for the duration of this step.
 */
export function createScanStep(deps: ScanStepDeps) {
  const now = deps.now ?? (() => new Date());
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const event = Codecs.mediaSubmitted.decode(m.value);
    const bytes = Buffer.from(event.mediaBase64, 'base64');
    const fail = async (code: string, message: string): Promise<StepOutcome> => {
      try {
        await markSubmissionFailed(deps.db, event.submissionId, code);
      } catch (err) {
        return { kind: 'retry', error: toDatabaseError(err, 'mark submission failed') };
      }
      return { kind: 'dlq', code, message };
    };
    if (bytes.length === 0) return fail('MOD_ERR_SCAN_EMPTY_MEDIA', 'media is empty or not base64');
    if (bytes.length > deps.maxMediaBytes) {
      return fail(
        'MOD_ERR_SCAN_MEDIA_TOO_LARGE',
        `media is ${bytes.length} bytes; limit ${deps.maxMediaBytes}`,
      );
    }
    const result = await deps.hash(bytes);
    if (!result.ok) {
      if (result.error.retriable)
        return { kind: 'retry', error: new Error(`${result.error.code}: ${result.error.message}`) };
      return fail(result.error.code, result.error.message);
    }
    const h = result.hashes;
    const hits = deps.banks().match(h);
    for (const hit of hits) deps.hits.inc({ signal: hit.signal });
    const verdict: Verdict = {
      eventId: deterministicUuid(`verdict:${event.eventId}`),
      submissionId: event.submissionId,
      tenantId: event.tenantId,
      sourceEventId: event.eventId,
      decision: decide(hits),
      hashes: {
        sha256: h.sha256,
        sha1: h.sha1,
        md5: h.md5,
        blockhash: h.blockhash,
        pdq: h.pdq,
        pdqQuality: h.pdqQuality,
      },
      width: h.width,
      height: h.height,
      hits,
      ...(event.url === undefined ? {} : { url: event.url }),
      ...(event.externalRef === undefined ? {} : { externalRef: event.externalRef }),
      ...(event.reportedCategory === undefined ? {} : { reportedCategory: event.reportedCategory }),
      scannedAt: now().toISOString(),
      scannerVersion: SCANNER_VERSION,
    };
    await deps.producer.send({
      topic: deps.verdictsTopic,
      messages: [{ key: event.submissionId, value: Codecs.verdict.encode(verdict) }],
    });
    return { kind: 'ok' };
  };
}
