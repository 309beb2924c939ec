import { createHash } from 'node:crypto';
import { Codecs, deterministicUuid, fetcherSubmissionIds, type Hit, type Verdict } from '@mod/contracts';
import type { claimSubmission, SubmissionInput } from '@mod/db/submissions';
import type { Producer } from '@mod/kafka';
import { urlSha256, type NormalizedUrl, type UrlListMatch } from '@mod/urls';
import type { UrlEntryData } from './url-list-sync.js';

export const FETCHER_VERSION = 'fetcher/0.1.0';

/**
 * The id the fetcher derives for an event's submission is already another tenant's: never this event's to write,
 * whatever the retries (dead-lettered, as the scanner does with `MOD_ERR_SCAN_SUBMISSION_NOT_OWNED`).
 */
export function submissionNotOwned(submissionId: string): { code: string; message: string } {
  return {
    code: 'MOD_ERR_FETCH_SUBMISSION_NOT_OWNED',
    message: `submission ${submissionId} belongs to another tenant`,
  };
}

const digest = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');

/**
 * The host a host-level block names when matching entries are dedicated to abuse: the widest of theirs. A domain
 * entry's own name, which covers every name under it, rather than the name observed: whoever's traffic an ISP
 * samples picks that name, and each distinct one (`r1.abuse.example`, `r2.abuse.example`...) would otherwise be
 * another blocking request to every subscribed ISP. Other kinds list this very host. Null: none is dedicated.
 */
function dedicatedHost(
  url: NormalizedUrl,
  matches: readonly { match: UrlListMatch<UrlEntryData> }[],
): string | null {
  let host: string | null = null;
  for (const { match } of matches) {
    if (match.entry.data?.dedicatedToAbuse !== true) continue;
    const name = match.entry.kind === 'domain' ? match.key : url.host;
    if (host === null || name.length < host.length) host = name;
  }
  return host;
}

/**
 * The verdict for a URL-list hit. There is no content: the subject is the URL (or, when a matching entry is
 * dedicated to abuse, the host it names: {@link dedicatedHost}), the hashes digest the canonical URL, and each
 * hit names the list entry.
 */
export function urlListVerdict(
  /** `idName`: what ids derive from (the event id, namespaced by tenant on an ISP's own topic). */
  /** `submissionId`: an embedded image's (`embeddedSubmissionId`), instead of the event's own. */
  event: { eventId: string; tenantId: string; idName?: string; submissionId?: string },
  url: NormalizedUrl,
  matches: readonly {
    match: UrlListMatch<UrlEntryData>;
    bankName: string;
    actionPolicy: Hit['actionPolicy'];
  }[],
  at: Date,
): Verdict {
  const submissionId = event.submissionId ?? fetcherSubmissionIds(event.idName ?? event.eventId).listed;
  const host = dedicatedHost(url, matches);
  return {
    eventId: deterministicUuid(`verdict:${submissionId}`),
    submissionId,
    tenantId: event.tenantId,
    sourceEventId: event.eventId,
    decision: 'match',
    hashes: {
      sha256: urlSha256(url.href),
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
    subject: host !== null ? { type: 'host', value: host } : { type: 'url', value: url.href },
    scannedAt: at.toISOString(),
    scannerVersion: FETCHER_VERSION,
  };
}

/** What `sendListedVerdict` needs of the step's dependencies. */
export interface ListedVerdictDeps {
  /** Records the submission of a URL-list hit before its verdict leaves (`@mod/db` `claimSubmission`). */
  claimSubmission: (s: SubmissionInput) => ReturnType<typeof claimSubmission>;
  producer: Producer;
  verdictsTopic: string;
}

/**
 * Claims a URL-list hit's submission (the URL, its digest), then publishes its verdict, from which the actioner
 * opens orders. Answers false, sending nothing, when the submission is another tenant's (the event is
 * dead-lettered: `submissionNotOwned`); a claim that raced a concurrent one throws, for the runner to retry.
 */
export async function sendListedVerdict(
  deps: ListedVerdictDeps,
  verdict: Verdict,
  url: NormalizedUrl,
): Promise<boolean> {
  const claimed = await deps.claimSubmission({
    id: verdict.submissionId,
    tenantId: verdict.tenantId,
    source: 'fetcher',
    url: url.href,
    sha256: verdict.hashes.sha256,
  });
  if (claimed === null) throw new Error('submission claim raced; trying again');
  if (claimed.tenantId !== verdict.tenantId) return false;
  await deps.producer.send({
    topic: deps.verdictsTopic,
    messages: [{ key: verdict.submissionId, value: Codecs.verdict.encode(verdict) }],
  });
  return true;
}
