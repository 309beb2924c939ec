import { Type, type Static } from '@sinclair/typebox';
import { createCodec, PARTNER_EVENT_MAX_BYTES } from './events.js';
import { ClosedObject, Id, IsoTime, SafeText, Uuid } from './schema-parts.js';

/**
 * `mod.url-observed.v1`: one URL an ISP's users requested (a traffic sample). Key: the URL's host, so that one
 * fetcher sees a host's URLs in order and per-host limits hold. ISPs running Kafka may publish it directly.
 */
export const UrlObserved = ClosedObject({
  eventId: Uuid,
  /**
   * The ISP that observed the URL. On an ISP's own topic the ISP writes it (it must name the topic's tenant), and
   * the fetcher's dead letter of a mismatch quotes it: no control or bidi character, as in a media event's text.
   */
  tenantId: SafeText({ minLength: 1, maxLength: 200 }),
  source: Type.Union([Type.Literal('api'), Type.Literal('kafka')]),
  /** As observed (the fetcher normalises it). */
  url: Type.String({ minLength: 1, maxLength: 8192 }),
  observedAt: IsoTime,
  /** Content-Type the ISP's proxy saw, when it logs one; a hint only (the fetcher sniffs magic bytes). */
  contentType: Type.Optional(SafeText({ maxLength: 200 })),
  /**
   * `report`: a URL a citizen, the hotline or a platform reported (the API routes it; honoured on the internal
   * topic only). The fetcher fetches it whatever it looks like and however recently it was seen, and records a
   * refusal on its submission, so that every report reaches an outcome.
   */
  purpose: Type.Optional(Type.Literal('report')),
});
export type UrlObserved = Static<typeof UrlObserved>;

const UrlListKind = Type.Union([
  Type.Literal('url'),
  Type.Literal('prefix'),
  Type.Literal('host'),
  Type.Literal('domain'),
]);

/**
 * `mod.url-list-changes.v1` (compacted): URL-list changes every fetcher applies to its in-memory index. Key:
 * `url-bank:<bankId>`, `url-entry:<entryId>` or `url-resync:<bankId>`. Applying a change twice is a no-op; a
 * tombstone (null value) is ignored.
 */
export const UrlListChange = Type.Union([
  ClosedObject({
    type: Type.Literal('url-bank-upserted'),
    bankId: Id,
    name: Type.String(),
    enabled: Type.Boolean(),
    negative: Type.Boolean(),
    actionPolicy: Type.Union([Type.Literal('automatic'), Type.Literal('review')]),
  }),
  ClosedObject({
    type: Type.Literal('url-entry-added'),
    entry: ClosedObject({
      entryId: Id,
      bankId: Id,
      kind: UrlListKind,
      pattern: Type.String({ minLength: 1, maxLength: 8192 }),
      dedicatedToAbuse: Type.Boolean(),
      category: Type.Union([Type.String(), Type.Null()]),
    }),
  }),
  ClosedObject({ type: Type.Literal('url-entry-removed'), entryId: Id, bankId: Id }),
  /** A bulk change (an import over the threshold) of one bank: reload every URL list from PostgreSQL. */
  ClosedObject({ type: Type.Literal('url-lists-resync'), bankId: Id }),
]);
export type UrlListChange = Static<typeof UrlListChange>;

export const urlObservedCodec = createCodec('url-observed.v1', UrlObserved, {
  maxBytes: PARTNER_EVENT_MAX_BYTES,
});
export const urlListChangeCodec = createCodec('url-list-change.v1', UrlListChange);
