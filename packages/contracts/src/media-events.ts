import { createHash } from 'node:crypto';
import { Codecs, MEDIA_META_HEADER, type MediaEventMeta } from './events.js';
import { tenantOfPartnerTopic } from './topics.js';

/**
 * A UUID derived from a name (SHA-256 based, version 8 per RFC 9562), so that reprocessing the same input
 * yields the same id and downstream consumers can drop the replay.
 */
export function deterministicUuid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x80;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The submissions the fetcher makes of one observed-URL event, by the name its ids derive from (the event id, or
 * `partner:<tenant>:<event id>:<url>` on an ISP's own topic): a URL-list hit's, and fetched media's. A reported URL's
 * router finds what the pipeline made of it through them.
 */
export const fetcherSubmissionIds = (idName: string): { listed: string; fetched: string } => ({
  listed: deterministicUuid(`fetcher:url:${idName}`),
  fetched: deterministicUuid(`fetcher:submission:${idName}`),
});

/**
 * The submission the fetcher makes of one image a reported page embeds, by the page event's id name and the image's
 * canonical URL: the same for a redelivered event, so its images are submitted once whatever the retries (a URL-list
 * hit's verdict and fetched media share it: an image is one or the other).
 */
export const embeddedSubmissionId = (idName: string, imageHref: string): string =>
  deterministicUuid(`fetcher:embedded:${idName}:${imageHref}`);

/** The event a media message carries, with its tenant established (never taken from a partner's payload). */
export type MediaEvent = MediaEventMeta | (Omit<MediaEventMeta, 'source'> & { source: 'kafka' });

export type MediaEventRead =
  | { ok: true; event: MediaEvent }
  | { ok: false; code: 'MOD_ERR_SCAN_UNKNOWN_TOPIC' | 'MOD_ERR_SCAN_SUBMISSION_RESERVED'; message: string };

/** Whether an id is of the form `deterministicUuid` makes (version 8): one the system derives, never a partner's. */
const isDerivedUuid = (id: string): boolean => id[14] === '8';

/**
 * Reads the `mod-meta` header of a media message. On the internal topic (written only by the API and the
 * fetcher) the event names its tenant; on a platform's own topic the tenant is the topic's, and the event ids are
 * namespaced by it (and by the submission the event names), so no platform can reach another's submissions or
 * verdicts by reusing their ids, nor one of its own submissions another's. Every stage
 * that reads media (scanner, classifier) derives the same submission id from the same message. Throws a
 * `ContractError` when the header is missing or malformed.
 */
export function readMediaEvent(
  m: { topic: string; headers: Readonly<Record<string, Buffer>> },
  where: { mediaTopic: string; topicPrefix: string },
): MediaEventRead {
  const header = m.headers[MEDIA_META_HEADER] ?? null;
  if (m.topic === where.mediaTopic) return { ok: true, event: Codecs.mediaMeta.decode(header) };
  const tenantId = tenantOfPartnerTopic(where.topicPrefix, 'mediaSubmitted', m.topic);
  if (tenantId === null)
    return { ok: false, code: 'MOD_ERR_SCAN_UNKNOWN_TOPIC', message: `not a media topic: ${m.topic}` };
  const partner = Codecs.partnerMediaMeta.decode(header);
  // Ids the system derives (another platform's events, an ISP's fetched media, a report's bare URL) come from parts
  // a partner can know or guess (a tenant id, an event id): named first by a partner, the id would be its own
  // submission, and the event it was derived for would be refused as another tenant's. A partner names a new id of
  // its own choosing (a random UUID) or one the API gave it, never one of that form.
  if (partner.submissionId !== undefined && isDerivedUuid(partner.submissionId))
    return {
      ok: false,
      code: 'MOD_ERR_SCAN_SUBMISSION_RESERVED',
      message: `submission id ${partner.submissionId} is of the form the system derives (UUID version 8)`,
    };
  // A named submission is part of the event's name: the platform chooses its event ids, and one sent again with
  // another submission gave that submission's verdict the first one's id, so it was dropped as a replay and the
  // submission was never decided. Sent again with the same submission it is the same event (a replay).
  const eventId = deterministicUuid(
    partner.submissionId === undefined
      ? `partner-media:${tenantId}:${partner.eventId}`
      : `partner-media:${tenantId}:${partner.eventId}:${partner.submissionId}`,
  );
  return {
    ok: true,
    event: {
      ...partner,
      eventId,
      submissionId:
        partner.submissionId ?? deterministicUuid(`partner-submission:${tenantId}:${partner.eventId}`),
      tenantId,
      source: 'kafka',
    },
  };
}
