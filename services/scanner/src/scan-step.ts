import { Codecs, deterministicUuid, readMediaEvent, type Hit, type Verdict } from '@mod/contracts';
import {
  claimSubmission,
  markSubmissionFailed,
  refuseTenant,
  toDatabaseError,
  type Queryable,
  type TenantDirectory,
} from '@mod/db';
import type { HashMediaOptions, HashTaskOutput, MediaHashes, ReducedDecode } from '@mod/hashing';
import type { MatchHit } from '@mod/matcher';
import type { ConsumedMessage, Producer, StepOutcome } from '@mod/kafka';
import { decide } from '@mod/policy';
import type { Counter } from '@mod/telemetry';
import type { BankSync } from './bank-sync.js';

export const SCANNER_VERSION = 'scanner/0.1.0';

export interface ScanStepDeps {
  /** Hashes media in the worker pool; the buffer is moved, not copied. */
  hash: (bytes: Uint8Array, options: HashMediaOptions) => Promise<HashTaskOutput>;
  /** The bank index, kept current from the bank-changes topic. */
  banks: BankSync;
  /** Compute the 8 rotation/flip PDQ hashes and the border-trimmed PDQ, and match them too. */
  dihedral: boolean;
  /** Reduced-scale decoding of large JPEGs (`@mod/hashing` default when absent); `false` decodes every pixel. */
  reducedDecode?: ReducedDecode | false;
  producer: Producer;
  verdictsTopic: string;
  /** The internal media topic (API intake, fetcher): its events name their tenant. */
  mediaTopic: string;
  /** Topic prefix: `<prefix>mod.media-submitted.v2.<tenant>` is a platform's own topic. */
  topicPrefix: string;
  db: Queryable;
  tenants: TenantDirectory;
  maxMediaBytes: number;
  hits: Counter<'signal'>;
  now?: () => Date;
}

/** Tenant kinds whose media each source carries. */
const KINDS_OF_SOURCE = { api: ['platform', 'admin'], kafka: ['platform'], fetcher: ['isp'] } as const;

/**
 * One media event: establish its tenant and submission, hash in the pool, match the banks, publish the
 * verdict. The verdict never waits for a model: the classifier is a later stage of its own. The submission is
 * created here when the event is the first to name it (media published on Kafka), and an event naming another
 * tenant's submission is dead-lettered. Media bytes live only in memory for the duration of this step.
 */
export function createScanStep(deps: ScanStepDeps) {
  const now = deps.now ?? (() => new Date());
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const read = readMediaEvent(m, deps);
    if (!read.ok) return { kind: 'dlq', code: read.code, message: read.message };
    const event = read.event;
    const refused = await refuseTenant(deps.tenants, event.tenantId, KINDS_OF_SOURCE[event.source]);
    if (refused !== null) return { kind: 'dlq', ...refused };
    const bytes = m.value ?? Buffer.alloc(0);
    const claimed = await claimSubmission(deps.db, {
      id: event.submissionId,
      tenantId: event.tenantId,
      source: event.source,
      externalRef: event.externalRef ?? null,
      reportedCategory: event.reportedCategory ?? null,
      url: event.url ?? null,
      bytes: bytes.length,
    });
    if (claimed === null) return { kind: 'retry', error: new Error('submission claim raced; trying again') };
    if (claimed.tenantId !== event.tenantId)
      return {
        kind: 'dlq',
        code: 'MOD_ERR_SCAN_SUBMISSION_NOT_OWNED',
        message: `submission ${event.submissionId} belongs to another tenant`,
      };
    const fail = async (code: string, message: string): Promise<StepOutcome> => {
      try {
        await markSubmissionFailed(deps.db, { id: event.submissionId, tenantId: event.tenantId }, code);
      } catch (err) {
        return { kind: 'retry', error: toDatabaseError(err, 'mark submission failed') };
      }
      return { kind: 'dlq', code, message };
    };
    if (bytes.length === 0) return fail('MOD_ERR_SCAN_EMPTY_MEDIA', 'media is empty');
    if (bytes.length > deps.maxMediaBytes) {
      return fail(
        'MOD_ERR_SCAN_MEDIA_TOO_LARGE',
        `media is ${bytes.length} bytes; limit ${deps.maxMediaBytes}`,
      );
    }
    // The hash worker takes ownership of the bytes (moved, not copied). Media that matches nothing reaches the
    // classifier stage through its own consumer group on the same topics, never through this process.
    const result = await deps.hash(bytes, {
      ...(deps.dihedral ? { dihedral: true, trim: true } : {}),
      ...(deps.reducedDecode === undefined ? {} : { reducedDecode: deps.reducedDecode }),
    });
    if (!result.ok) {
      if (result.error.retriable)
        return { kind: 'retry', error: new Error(`${result.error.code}: ${result.error.message}`) };
      return fail(result.error.code, result.error.message);
    }
    const h = result.hashes;
    if (claimed.sha256 !== null && claimed.sha256 !== h.sha256)
      return fail('MOD_ERR_SCAN_DIGEST_MISMATCH', 'the media is not the content the submission recorded');
    const hits = await matchBanks(deps, h);
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
        ...(h.decodeScale === 2 || h.decodeScale === 4 || h.decodeScale === 8
          ? { decodeScale: h.decodeScale }
          : {}),
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

/** Matches every signal of the media against the banks; hits carry bank metadata and entry categories. */
async function matchBanks(deps: ScanStepDeps, h: MediaHashes): Promise<Hit[]> {
  const result = deps.banks.matcher().match({
    pdq: { hash: h.pdq, quality: h.pdqQuality },
    ...(h.pdqDihedral === undefined ? {} : { pdqDihedral: h.pdqDihedral }),
    ...(h.pdqTrimmed ? { pdqTrimmed: { hash: h.pdqTrimmed.pdq, quality: h.pdqTrimmed.pdqQuality } } : {}),
    blockhash: h.blockhash,
    md5: h.md5,
    sha1: h.sha1,
    sha256: h.sha256,
  });
  const all: (MatchHit & { negative: boolean })[] = [
    ...result.hits.map((x) => ({ ...x, negative: false })),
    ...result.negativeHits.map((x) => ({ ...x, negative: true })),
  ];
  if (all.length === 0) return [];
  // Hits are rare: categories come from PostgreSQL rather than being held in memory for millions of entries.
  const ids = all.map((x) => x.entryId).filter((id) => /^\d+$/.test(id));
  const categories = new Map<string, string | null>();
  try {
    const { rows } = await deps.db.query<{ id: number; category: string | null }>(
      `/* scanner:hit-categories */ select id, category from bank_entries where id = any($1::bigint[])`,
      [ids],
    );
    for (const r of rows) categories.set(String(r.id), r.category);
  } catch (err) {
    throw toDatabaseError(err, 'hit categories');
  }
  return all.map((x) => {
    const meta = deps.banks.meta(x.bankId);
    return {
      bankId: x.bankId,
      bankName: meta?.name ?? x.bankId,
      entryId: x.entryId,
      signal: x.signal,
      distance: x.distance,
      category: categories.get(x.entryId) ?? null,
      actionPolicy: meta?.actionPolicy ?? 'review',
      negative: x.negative,
    };
  });
}
