import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Type,
  type FastifyPluginAsyncTypebox,
  type TSchema,
  type TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import { topicNames } from '@mod/contracts';
import { UNSAFE_TEXT_CHARACTERS } from '@mod/contracts/text-rules';
import { BANK_NAME_PATTERN } from '@mod/curation';
import type { Pool, Queryable } from '@mod/db';
import { appendAudit, type AuditEntry, type StoredAuditRecord } from '@mod/db/audit';
import type { Principal } from '@mod/db/access';
import type { PendingMedia } from '@mod/db/submissions';
import type { Producer } from '@mod/kafka';
import { decodeCursor, encodeCursor, type QueuePosition } from '@mod/review';
import { auditActorOf, credentialEvidence } from '../auth.js';
import { badRequest } from '../errors.js';

export { ORDER_OVERSIGHT_ROLES, ORDER_READERS } from '../authz.js';

/** The fastify instance routes are declared on: TypeBox schemas give validation, types and OpenAPI. */
export type TypedApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The deployment's topics: every name derives from one prefix (tests own theirs). */
export type ApiTopics = ReturnType<typeof topicNames> & { prefix: string };

export function apiTopics(prefix: string): ApiTopics {
  return { ...topicNames(prefix), prefix };
}

/** What route groups may use. */
export interface RouteDeps {
  db: Pool;
  producer: Producer;
  topics: ApiTopics;
  /** Largest upload accepted, bytes (derived from the broker's message size at start-up). */
  maxUploadBytes: number;
  /** Media messages waiting to be published beyond which uploads answer 503. Default 500. */
  maxPendingMedia?: number;
  /** Uploads this instance receives at once; one more answers 503. Default: 512 MiB of the largest upload. */
  maxUploadsReceiving?: number;
  /** Publishes a committed intake media message now (`MediaDispatcher`); absent, it waits for the relay. */
  dispatchMedia?: (message: PendingMedia) => void;
  /** The clock (`AppDeps.now`, or the system's). */
  now: () => Date;
}

/**
 * A route group: a fastify plugin that app.ts registers with its URL prefix and what it uses
 * (`app.register(group, { prefix, ...deps })`). Its routes are declared relative to that prefix.
 */
export type RouteGroup<D extends RouteDeps = RouteDeps> = FastifyPluginAsyncTypebox<D>;

/** Registers the parts of a route group in order, each a plugin under the group's prefix, with the group's deps. */
export async function registerParts<D extends RouteDeps>(
  app: TypedApp,
  deps: D,
  parts: readonly RouteGroup<D>[],
): Promise<void> {
  // fastify hands a plugin its register options, prefix included: passed on as they are, it would apply twice.
  const { prefix: _prefix, ...partDeps } = deps as D & { prefix?: string };
  for (const part of parts) await app.register(part, partDeps as D);
}

/**
 * Whom an audit record of a caller's change names (`auditActorOf`: the person, or the calling key or
 * certificate), its role and tenant. Records of a machine's change also carry `credentialEvidence(p)`.
 */
export const auditActor = (p: Principal) => ({
  actor: auditActorOf(p),
  role: p.role,
  tenantId: p.tenantId,
});

/**
 * Appends (in transaction `c`) the audit record of a change the caller made: it names the caller (`auditActor`),
 * and its evidence starts with the credential a machine acted with (`credentialEvidence`).
 */
export const auditCallerChange = (
  c: Queryable,
  p: Principal,
  change: Omit<AuditEntry, 'actor' | 'role' | 'tenantId'>,
): Promise<StoredAuditRecord> =>
  appendAudit(c, { ...auditActor(p), ...change, evidence: { ...credentialEvidence(p), ...change.evidence } });

/** The caller as the curator of a URL-list change (`@mod/curation`): `auditActor` plus `credentialEvidence`. */
export const curatorOf = (p: Principal) => ({ ...auditActor(p), evidence: credentialEvidence(p) });

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { description: 'An error with a stable code (see the README).' },
);
/** Error answers every route may give; declared so they appear in the OpenAPI document. */
export const ErrorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;
export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
/**
 * Free text from clients: bounded, no control characters (C0, DEL and C1, whose U+009B is a terminal's CSI), no
 * bidi embeddings, overrides or isolates (U+202A-U+202E, U+2066-U+2069: the text would read other than it is
 * stored, the rule citizens' reports follow), and no half of a surrogate pair (JSON can escape one, `"\ud800"`;
 * it has no UTF-8 form, so the audit record that carries the text could never be written, and the route failed
 * with 500 after doing its work). The pattern is a Unicode one (Ajv's `u` flag): whole pairs, emoji among them,
 * are single code points and pass.
 */
export const Text = (maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: `^[^${UNSAFE_TEXT_CHARACTERS}\\ud800-\\udfff]*$`,
  });
/**
 * What a new hash bank or URL list says of itself in its creation body: its name, where its entries come from,
 * under which licence, which version. Free text that reaches exports, logs, the console and terminals.
 */
export const NewBankFields = {
  name: Type.String({ minLength: 1, maxLength: 100, pattern: BANK_NAME_PATTERN }),
  source: Text(200),
  licence: Type.Optional(Text(200)),
  version: Type.Optional(Text(100)),
};
/** A creation body's `NewBankFields` as a new hash bank or URL list takes them (null for no licence, version). */
export const newBankFieldsOf = (b: { name: string; source: string; licence?: string; version?: string }) => ({
  name: b.name,
  source: b.source,
  licence: b.licence ?? null,
  version: b.version ?? null,
});
/** A string schema that also takes null. */
export const Nullable = <T extends TSchema>(t: T, description?: string) =>
  Type.Union([t, Type.Null()], description === undefined ? {} : { description });
/**
 * Timestamps as RFC 3339 strings, without a leap second (`23:59:60`, which RFC 3339 allows): JavaScript's Date
 * cannot read one, and a route would take it, make an Invalid Date of it and fail in its query with 500.
 */
export const Timestamp = Type.String({ format: 'date-time', pattern: '^[^:]*:[^:]*:(?!60)' });
export const MAX_PAGE = 100;

/**
 * The position a keyset-paged list's `cursor` names (orders, review queues, bank proposals); none: the first
 * page. One decoder for them all: anything `nextCursorAfter` did not write answers 400 MOD_ERR_API_BAD_CURSOR,
 * a forged time or id the database cannot read included, which would otherwise fail in the query with 500.
 */
export function pagePosition(cursor: string | undefined): QueuePosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if ('ok' in position) throw badRequest('MOD_ERR_API_BAD_CURSOR', 'cursor is not one this API issued');
  return position;
}

/** The cursor of the page after `rows` when they fill a page of `limit`; null after the last page. */
export function nextCursorAfter<T>(
  rows: readonly T[],
  limit: number,
  positionOf: (last: T) => QueuePosition,
): string | null {
  const last = rows.at(-1);
  return rows.length === limit && last !== undefined ? encodeCursor(positionOf(last)) : null;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** A request's `Idempotency-Key` header (media uploads, reports), null without one; 400 when malformed. */
export function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(header))
    throw badRequest('MOD_ERR_API_BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-200 of A-Za-z0-9._:-');
  return header;
}
