import { createHash } from 'node:crypto';
import { Codecs, urlObservedCodec, type Hit, type MediaSubmitted, type Verdict } from '@mod/contracts';
import type { ConsumedMessage, Producer, StepOutcome } from '@mod/kafka';
import type { Counter } from '@mod/telemetry';
import {
  FetchRefusal,
  normalizeUrl,
  type NormalizedUrl,
  type RecentlySeen,
  type SafeFetcher,
  type UrlListMatch,
} from '@mod/urls';
import { deterministicUuid } from './ids.js';
import type { UrlEntryData, UrlLists } from './url-list-sync.js';

export const FETCHER_VERSION = 'fetcher/0.1.0';

/** What happened to one observed URL: the label of `mod_fetcher_observed_total`. */
export const ObservedOutcome = {
  BadUrl: 'bad-url',
  RecentlySeen: 'recently-seen',
  UrlListHit: 'url-list-hit',
  AllowListed: 'allow-listed',
  NotMediaUrl: 'not-media-url',
  Fetched: 'fetched',
  Refused: 'refused',
} as const;
export type ObservedOutcome = (typeof ObservedOutcome)[keyof typeof ObservedOutcome];

export interface FetchStepDeps {
  urlLists: UrlLists;
  fetcher: SafeFetcher;
  seen: RecentlySeen;
  producer: Producer;
  verdictsTopic: string;
  mediaTopic: string;
  /** Fetch every URL, not only those that look like media. */
  fetchAllUrls: boolean;
  observed: Counter<'outcome'>;
  now?: () => Date;
}

const MEDIA_EXTENSIONS = /\.(?:jpe?g|png|gif|webp|bmp|tiff?|avif|heic|heif)$/i;

/** Whether a URL is worth fetching for hashing: an image content type from the ISP, or an image extension. */
export function looksLikeMedia(url: NormalizedUrl, contentType: string | undefined): boolean {
  if (contentType !== undefined) return contentType.trim().toLowerCase().startsWith('image/');
  return MEDIA_EXTENSIONS.test(url.path);
}

/** Refusals that may succeed later: the URL is forgotten so a later observation tries again. */
const TRANSIENT: ReadonlySet<string> = new Set([
  FetchRefusal.Timeout,
  FetchRefusal.ConnectionFailed,
  FetchRefusal.DnsFailure,
  FetchRefusal.Aborted,
]);

const digest = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');

/**
 * The verdict for a URL-list hit. There is no content: the subject is the URL (or its host when a matching
 * entry is dedicated to abuse), the hashes digest the canonical URL, and each hit names the list entry.
 */
export function urlListVerdict(
  event: { eventId: string; tenantId: string },
  url: NormalizedUrl,
  matches: readonly {
    match: UrlListMatch<UrlEntryData>;
    bankName: string;
    actionPolicy: Hit['actionPolicy'];
  }[],
  at: Date,
): Verdict {
  const submissionId = deterministicUuid(`fetcher:url:${event.eventId}`);
  const dedicated = matches.some((m) => m.match.entry.data?.dedicatedToAbuse === true);
  return {
    eventId: deterministicUuid(`verdict:${submissionId}`),
    submissionId,
    tenantId: event.tenantId,
    sourceEventId: event.eventId,
    decision: 'match',
    hashes: {
      sha256: digest('sha256', url.href),
      sha1: digest('sha1', url.href),
      md5: digest('md5', url.href),
    },
    width: 0,
    height: 0,
    hits: matches.map(({ match, bankName, actionPolicy }) => ({
      bankId: match.entry.data?.bankId ?? 'unknown',
      bankName,
      entryId: `url:${match.entry.id}`,
      signal: 'sha256' as const,
      distance: 0,
      category: match.entry.data?.category ?? null,
      actionPolicy,
      negative: false,
    })),
    url: url.href,
    subject: dedicated ? { type: 'host', value: url.host } : { type: 'url', value: url.href },
    scannedAt: at.toISOString(),
    scannerVersion: FETCHER_VERSION,
  };
}

/**
 * One observed URL: normalise; skip if seen within the TTL; match the URL lists (a hit becomes a verdict, so
 * the actioner opens blocking requests); otherwise fetch media-looking URLs through the SSRF-safe fetcher and
 * submit the bytes for scanning. Refusals are outcomes (counted by the fetcher), never exceptions.
 */
export function createFetchStep(deps: FetchStepDeps) {
  const now = deps.now ?? (() => new Date());
  const count = (outcome: ObservedOutcome) => deps.observed.inc({ outcome });
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const event = urlObservedCodec.decode(m.value);
    const normalized = normalizeUrl(event.url);
    if (!normalized.ok) {
      count(ObservedOutcome.BadUrl);
      return { kind: 'drop', reason: `${normalized.error.code}: ${normalized.error.message}` };
    }
    const url = normalized.url;
    if (deps.seen.checkAndAdd(url.key)) {
      count(ObservedOutcome.RecentlySeen);
      return { kind: 'drop', reason: 'seen within the TTL' };
    }
    const matches = deps.urlLists
      .index()
      .match(url)
      .flatMap((match) => {
        const bank = match.entry.data === undefined ? undefined : deps.urlLists.bank(match.entry.data.bankId);
        return bank === undefined || !bank.enabled ? [] : [{ match, bank }];
      });
    if (matches.some((x) => x.bank.negative)) {
      count(ObservedOutcome.AllowListed);
      return { kind: 'drop', reason: 'listed in a negative URL list' };
    }
    if (matches.length > 0) {
      const verdict = urlListVerdict(
        event,
        url,
        matches.map(({ match, bank }) => ({ match, bankName: bank.name, actionPolicy: bank.actionPolicy })),
        now(),
      );
      await deps.producer.send({
        topic: deps.verdictsTopic,
        messages: [{ key: verdict.submissionId, value: Codecs.verdict.encode(verdict) }],
      });
      count(ObservedOutcome.UrlListHit);
      return { kind: 'ok' };
    }
    if (!deps.fetchAllUrls && !looksLikeMedia(url, event.contentType)) {
      count(ObservedOutcome.NotMediaUrl);
      return { kind: 'drop', reason: 'does not look like media' };
    }
    const fetched = await deps.fetcher.fetch(url.href);
    if (!fetched.ok) {
      if (TRANSIENT.has(fetched.reason)) deps.seen.delete(url.key);
      count(ObservedOutcome.Refused);
      return { kind: 'drop', reason: `fetch refused: ${fetched.reason}` };
    }
    const submissionId = deterministicUuid(`fetcher:submission:${event.eventId}`);
    const media: MediaSubmitted = {
      eventId: deterministicUuid(`fetcher:media:${event.eventId}`),
      submissionId,
      tenantId: event.tenantId,
      source: 'fetcher',
      url: fetched.url,
      contentType: fetched.mediaType,
      mediaBase64: fetched.bytes.toString('base64'),
      submittedAt: now().toISOString(),
    };
    await deps.producer.send({
      topic: deps.mediaTopic,
      messages: [{ key: submissionId, value: Codecs.mediaSubmitted.encode(media) }],
    });
    count(ObservedOutcome.Fetched);
    return { kind: 'ok' };
  };
}
