import { Codecs, deterministicUuid, MEDIA_META_HEADER, type MediaEventMeta } from '@mod/contracts';
import type { Producer } from '@mod/kafka';

/** Media the fetcher hands to the scanner: a fetched URL's body, or an image a reported page inlines. */
export interface FetchedMedia {
  /** What the media event's id derives from (the same name gives the same event on a redelivery). */
  eventName: string;
  submissionId: string;
  tenantId: string;
  /** Where the media came from: the fetched URL, or the page that inlines it. */
  url: string;
  mediaType: string;
  bytes: Buffer;
  at: Date;
}

/** Publishes media to the media topic for the scanner, keyed by its submission, its event in the `mod-meta` header. */
export async function publishMedia(
  producer: Producer,
  mediaTopic: string,
  media: FetchedMedia,
): Promise<void> {
  const meta: MediaEventMeta = {
    eventId: deterministicUuid(media.eventName),
    submissionId: media.submissionId,
    tenantId: media.tenantId,
    source: 'fetcher',
    url: media.url,
    contentType: media.mediaType,
    submittedAt: media.at.toISOString(),
  };
  await producer.send({
    topic: mediaTopic,
    messages: [
      {
        key: media.submissionId,
        value: media.bytes,
        headers: { [MEDIA_META_HEADER]: Codecs.mediaMeta.encode(meta) },
      },
    ],
  });
}
