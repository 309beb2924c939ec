import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DeadLetter } from './dead-letter.js';
import { ModError } from './errors.js';
import { ClosedObject, Hex, Id, IsoTime, SafeText, Uuid } from './schema-parts.js';

export const SignalType = Type.Union([
  Type.Literal('pdq'),
  Type.Literal('blockhash'),
  Type.Literal('md5'),
  Type.Literal('sha1'),
  Type.Literal('sha256'),
]);
export type SignalType = Static<typeof SignalType>;

/** Name of the Kafka header that carries a media message's event (the value is the media itself). */
export const MEDIA_META_HEADER = 'mod-meta';

/** A media event's fields; its text comes from a platform on its own topic, so none holds a control or bidi character. */
const MediaFields = {
  eventId: Uuid,
  externalRef: Type.Optional(SafeText({ maxLength: 500 })),
  reportedCategory: Type.Optional(SafeText({ maxLength: 100 })),
  url: Type.Optional(SafeText({ maxLength: 8192 })),
  contentType: Type.Optional(SafeText({ maxLength: 200 })),
  submittedAt: IsoTime,
};

/**
 * `mod.media-submitted.v2`: one piece of media to scan. The message value is the media, as bytes (never
 * base64); this event travels in the `mod-meta` header as UTF-8 JSON. Written only by the API's intake outbox
 * and the fetcher, whose principals are trusted to name the tenant. Consumers never store the bytes.
 */
export const MediaEventMeta = ClosedObject({
  ...MediaFields,
  submissionId: Uuid,
  tenantId: Id,
  source: Type.Union([Type.Literal('api'), Type.Literal('fetcher')]),
});
export type MediaEventMeta = Static<typeof MediaEventMeta>;

/**
 * `mod.media-submitted.v2.<tenant>`: media a platform publishes on its own topic. The same value and header as
 * `MediaEventMeta`, without a tenant (the topic is the tenant: only that tenant's principal may write it) and
 * without a source. `submissionId` is optional: without one the scanner derives it from the tenant and the event
 * id; with one, it must be a new id or one of the same tenant's submissions, and never of the form the system
 * derives (UUID version 8: `MOD_ERR_SCAN_SUBMISSION_RESERVED`).
 */
export const PartnerMediaMeta = ClosedObject({ ...MediaFields, submissionId: Type.Optional(Uuid) });
export type PartnerMediaMeta = Static<typeof PartnerMediaMeta>;

export const Hit = ClosedObject({
  bankId: Id,
  bankName: Type.String(),
  entryId: Id,
  signal: SignalType,
  distance: Type.Integer({ minimum: 0, maximum: 256 }),
  category: Type.Union([Type.String(), Type.Null()]),
  actionPolicy: Type.Union([Type.Literal('automatic'), Type.Literal('review')]),
  negative: Type.Boolean(),
  /**
   * A perceptual hit on one frame of a multi-frame file (animated GIF, WebP; multi-page TIFF): its index, from 0.
   * Absent for a still image's hits and for exact hits, which are the file's.
   */
  frame: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
});
export type Hit = Static<typeof Hit>;

/**
 * Why frames of a multi-frame file were left unhashed (scanner) or unscored (classifier): `frame-limit` (past
 * `HASH_MAX_FRAMES` or `CLASSIFIER_MAX_FRAMES` distinct frames), `time-limit` (half the decode budget spent),
 * `decode-refused` (the decoder refused a later frame, or the file's frames as a whole), `no-decoder` (an animated
 * PNG: no decoder here reads its frames after the first shown one).
 */
export const FramesUnexamined = Type.Union([
  Type.Literal('frame-limit'),
  Type.Literal('time-limit'),
  Type.Literal('decode-refused'),
  Type.Literal('no-decoder'),
]);
export type FramesUnexamined = Static<typeof FramesUnexamined>;

/**
 * The frames of a multi-frame file the scanner hashed: `examined` leading frames of `count` (every distinct one
 * among them, `hashed`, perceptually). `examined < count`: the frames after them were not hashed (the scanner's
 * `HASH_MAX_FRAMES`, the decode budget, or an animated PNG's frames after its first); when nothing matched, policy
 * opens a review case rather than let them pass unseen.
 */
export const FramesScanned = ClosedObject({
  count: Type.Integer({ minimum: 2, maximum: 1_000_000 }),
  examined: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  hashed: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  /** Why frames `examined` to `count − 1` were not hashed; absent when every frame was (and in older verdicts). */
  unexamined: Type.Optional(FramesUnexamined),
});
export type FramesScanned = Static<typeof FramesScanned>;

export const ContentHashes = ClosedObject({
  sha256: Hex(32),
  sha1: Hex(20),
  md5: Hex(16),
  blockhash: Type.Optional(Hex(32)),
  pdq: Type.Optional(Hex(32)),
  pdqQuality: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  /**
   * Present when the perceptual hashes come from a large JPEG decoded at 1/4, 1/8 or 1/16 scale (the scanner's
   * opt-in reduced decode). 2 is no longer produced and stays accepted for messages already written.
   */
  decodeScale: Type.Optional(
    Type.Union([Type.Literal(2), Type.Literal(4), Type.Literal(8), Type.Literal(16)]),
  ),
});
export type ContentHashes = Static<typeof ContentHashes>;

const Probability = Type.Number({ minimum: 0, maximum: 1 });

/**
 * The frames of a multi-frame file the classifier scored: `examined` leading frames of `count`, `scored` distinct ones
 * among them; `riskFrame` (from 0) is the frame whose scores gave the file its risk, the highest of them. Frames
 * `examined` to `count − 1` were not scored (`unexamined` says why).
 */
export const FramesClassified = ClosedObject({
  count: Type.Integer({ minimum: 2, maximum: 1_000_000 }),
  examined: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  scored: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  riskFrame: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  unexamined: Type.Optional(FramesUnexamined),
});
export type FramesClassified = Static<typeof FramesClassified>;

/** What the classifier said about media that matched no list: scores, the risk policy's view, model versions. */
export const Classification = ClosedObject({
  scores: ClosedObject({
    drawing: Probability,
    hentai: Probability,
    neutral: Probability,
    porn: Probability,
    sexy: Probability,
  }),
  apparentMinor: ClosedObject({
    probability: Probability,
    flagged: Type.Boolean(),
    facesEvaluated: Type.Boolean(),
    ageThresholdYears: Type.Number(),
    probabilityThreshold: Probability,
  }),
  risk: ClosedObject({
    score: Probability,
    reviewRequired: Type.Boolean(),
    explanation: Type.String({ maxLength: 2000 }),
  }),
  models: Type.Array(ClosedObject({ id: Type.String(), version: Type.String(), sha256: Type.String() })),
  backend: Type.String(),
  /** True when the result came from the cache (the same SHA-256 was classified before). */
  cached: Type.Boolean(),
  /**
   * Present for a file of more than one frame: what was scored of its frames. `scores`, `apparentMinor` and `risk`
   * are then those of frame `frames.riskFrame`, the highest risk among them (a benign first frame hides nothing).
   */
  frames: Type.Optional(FramesClassified),
});
export type Classification = Static<typeof Classification>;

/** `mod.verdicts.v1`: what the scanner decided for one submission, with every hit. */
export const Verdict = ClosedObject({
  eventId: Uuid,
  submissionId: Uuid,
  tenantId: Id,
  sourceEventId: Uuid,
  decision: Type.Union([Type.Literal('match'), Type.Literal('no-match'), Type.Literal('suppressed')]),
  hashes: ContentHashes,
  width: Type.Integer({ minimum: 0 }),
  height: Type.Integer({ minimum: 0 }),
  hits: Type.Array(Hit),
  /** Present for a file of more than one frame: what was hashed of them (`hashes` hold frame 0's PDQ). */
  frames: Type.Optional(FramesScanned),
  url: Type.Optional(Type.String({ maxLength: 8192 })),
  externalRef: Type.Optional(Type.String({ maxLength: 500 })),
  reportedCategory: Type.Optional(Type.String({ maxLength: 100 })),
  scannedAt: IsoTime,
  scannerVersion: Type.String(),
  /** Present when no list matched and the classifier ran (or its cached result was used). */
  classification: Type.Optional(Type.Union([Classification, Type.Null()])),
  /**
   * Present when the verdict is about a URL or host rather than fetched content (a URL-list hit, published by
   * the fetcher): orders should name this subject. `hashes` then digest the canonical URL string.
   */
  subject: Type.Optional(
    ClosedObject({
      type: Type.Union([Type.Literal('url'), Type.Literal('host')]),
      value: Type.String({ minLength: 1, maxLength: 8192 }),
    }),
  ),
});
export type Verdict = Static<typeof Verdict>;

/**
 * `mod.classifications.v1`: the classifier's result for one submission that matched no list. The verdict went
 * out before it (matching never waits for a model); the actioner records this against the submission and opens
 * a review case when the risk policy asks for one.
 */
export const Classified = ClosedObject({
  /** Derived from the submission, so a re-classified submission is recognised and dropped downstream. */
  eventId: Uuid,
  submissionId: Uuid,
  tenantId: Id,
  /** SHA-256 of the bytes the classifier read (checked against the submission's). */
  sha256: Hex(32),
  classification: Classification,
  classifiedAt: IsoTime,
  classifierVersion: Type.String({ maxLength: 100 }),
});
export type Classified = Static<typeof Classified>;

/** What an order (blocking or takedown) is about: a content digest, a URL or a host. */
const OrderSubject = ClosedObject({
  type: Type.Union([Type.Literal('content-hash'), Type.Literal('url'), Type.Literal('host')]),
  value: Type.String({ minLength: 1, maxLength: 8192 }),
});

/** `mod.blocking-requests.v1`: an order for one ISP to block a subject, on that ISP's own topic. Key: order id. */
export const BlockingRequest = ClosedObject({
  orderId: Uuid,
  ispTenantId: Id,
  subject: OrderSubject,
  legalBasis: Type.String(),
  deadlineAt: IsoTime,
  issuedAt: IsoTime,
  evidence: ClosedObject({ submissionId: Uuid, hits: Type.Array(Hit), policyVersion: Type.String() }),
});
export type BlockingRequest = Static<typeof BlockingRequest>;

/**
 * `mod.takedown-requests.v1`: an order for one platform to remove content it hosts. Key: platform tenant id, so
 * each platform sees its orders in order. Evidence names hits and digests, never media bytes.
 */
export const TakedownRequest = ClosedObject({
  orderId: Uuid,
  platformTenantId: Id,
  subject: OrderSubject,
  /** The URL where the content was seen, when known (verification re-fetches it). */
  url: Type.Optional(Type.String({ maxLength: 8192 })),
  legalBasis: Type.String(),
  deadlineAt: IsoTime,
  issuedAt: IsoTime,
  issuer: ClosedObject({
    kind: Type.Union([Type.Literal('policy'), Type.Literal('authority')]),
    id: Type.String(),
  }),
  evidence: ClosedObject({
    submissionId: Type.Optional(Uuid),
    sha256: Type.Optional(Hex(32)),
    hits: Type.Array(Hit),
    policyVersion: Type.String(),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  }),
});
export type TakedownRequest = Static<typeof TakedownRequest>;

/**
 * Why an order was escalated to its authority, as a code (the texts people read, Vietnamese and English, are
 * `@mod/orders`'s `EscalationReasons`): its deadline passed with the action still owed, or the target answered
 * "actioned" and verification could not reach the content past the deadline (and its grace).
 */
export const EscalationReasonCode = Type.Union([
  Type.Literal('deadline-missed'),
  Type.Literal('verification-inconclusive'),
]);
export type EscalationReasonCode = Static<typeof EscalationReasonCode>;

/**
 * `mod.order-events.v1`: every change of an order's status or clock (delivered, acknowledged, actioned,
 * disputed, verified, reopened, withdrawn, confirmed, paused, resumed, deadline-extended, renoticed,
 * escalated). Key: order id, so one order's events stay in order. Escalations name the authority to act.
 */
export const OrderEvent = ClosedObject({
  eventId: Uuid,
  orderId: Uuid,
  kind: Type.Union([Type.Literal('takedown'), Type.Literal('blocking')]),
  targetTenantId: Id,
  event: Type.String({ pattern: '^[a-z-]{1,40}$' }),
  status: Type.String({ pattern: '^[a-z-]{1,40}$' }),
  at: IsoTime,
  actor: Type.String({ maxLength: 200 }),
  deadlineAt: IsoTime,
  note: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  /** For escalations: the authority the order is escalated to. */
  escalateTo: Type.Optional(Type.String({ maxLength: 200 })),
  /** For escalations: why, as a code (`note` says it in English). */
  escalationReason: Type.Optional(EscalationReasonCode),
});
export type OrderEvent = Static<typeof OrderEvent>;

export class ContractError extends ModError {
  constructor(message: string) {
    super('MOD_ERR_CONTRACT_INVALID', message, { retriable: false });
  }
}

/** A compiled validator: checks plain data against a schema and returns it typed, or throws ContractError. */
export interface Codec<T> {
  readonly name: string;
  parse(value: unknown): T;
  /** Decode a Kafka message value (UTF-8 JSON) and validate it. */
  decode(bytes: Uint8Array | Buffer | null): T;
  encode(value: T): Buffer;
}

/**
 * The most bytes a partner's event (a `mod-meta` header, an observed URL) can take: every text field at its longest
 * with each character written as a `\uXXXX` escape (a URL of 8192 characters alone is 48 KiB), with room to spare.
 * Our own producers stay far below (the API's header is at most 2 KiB, the fetcher's 34 KiB).
 */
export const PARTNER_EVENT_MAX_BYTES = 64 * 1024;

export function createCodec<S extends TSchema>(
  name: string,
  schema: S,
  options: {
    /**
     * Larger input is refused unread (`decode`): a partner's topic takes records of 16 MiB, and parsing that much
     * JSON (nested brackets, millions of keys) holds a consumer's event loop for seconds before the schema refuses it.
     */
    maxBytes?: number;
  } = {},
): Codec<Static<S>> {
  const check = TypeCompiler.Compile(schema);
  const parse = (value: unknown): Static<S> => {
    if (check.Check(value)) return value;
    // The first five problems only, taken as they are found: a large message with a million unknown fields would
    // otherwise make a million error objects before five were kept.
    const problems: string[] = [];
    for (const e of check.Errors(value)) {
      problems.push(`${e.path || '/'}: ${e.message}`);
      if (problems.length === 5) break;
    }
    throw new ContractError(`${name}: ${problems.join('; ')}`);
  };
  return {
    name,
    parse,
    decode(bytes) {
      if (bytes === null || bytes.length === 0) throw new ContractError(`${name}: empty message`);
      if (options.maxBytes !== undefined && bytes.length > options.maxBytes)
        throw new ContractError(
          `${name}: ${bytes.length} bytes, over the ${options.maxBytes} a valid one takes`,
        );
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch (cause) {
        throw new ContractError(`${name}: not JSON (${(cause as Error).message})`);
      }
      return parse(value);
    },
    encode(value) {
      return Buffer.from(JSON.stringify(parse(value)), 'utf8');
    },
  };
}

export const Codecs = {
  mediaMeta: createCodec('media-submitted.v2 mod-meta', MediaEventMeta, {
    maxBytes: PARTNER_EVENT_MAX_BYTES,
  }),
  partnerMediaMeta: createCodec('partner media-submitted.v2 mod-meta', PartnerMediaMeta, {
    maxBytes: PARTNER_EVENT_MAX_BYTES,
  }),
  verdict: createCodec('verdict.v1', Verdict),
  classified: createCodec('classified.v1', Classified),
  blockingRequest: createCodec('blocking-request.v1', BlockingRequest),
  deadLetter: createCodec('dead-letter.v1', DeadLetter),
  takedownRequest: createCodec('takedown-request.v1', TakedownRequest),
  orderEvent: createCodec('order-event.v1', OrderEvent),
} as const;
