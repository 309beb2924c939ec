import { channel, tracingChannel } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Consumer, MAX_INFLATED_BYTES_PER_FETCH, MessagesStream, type fetchV17 } from '@platformatic/kafka';
import { ModError } from '@mod/contracts';

/**
 * The only module that leans on what `@platformatic/kafka` does not promise: the behaviour of the one version the
 * project's patch (patches/@platformatic__kafka@2.12.1.patch) was written against, and what the patch adds. Every
 * service checks it at start-up (`createKafka` calls {@link assertClientSupported}): another version, or the patch
 * not applied, fails with MOD_ERR_KAFKA_CLIENT_UNSUPPORTED instead of reading, committing or fetching wrongly.
 *
 * What the code of this package relies on, and where:
 * - `budgetFetches` (fetch-budget.ts), through {@link interceptStreamFetches}: a consumer's streams fetch records by
 *   calling `consumer.fetch(options, callback)` on the consumer object (so an own property replaces it), and only
 *   they pass a callback; the stream keeps one fetch per broker in flight and asks that broker again only once it is
 *   answered; the stream takes the position after a partition's answer from its last batch's `lastOffsetDelta` and
 *   skips the records before the offset it asked for (a batch cut short is fetched again from the first record cut).
 * - the pump (pump.ts): `MessagesStream.forgetOffsets` (patched) for partitions given anew by a rebalance.
 * - every stream (patched): a fetch asked for before the group's latest join is dropped (`MessagesStream.joins`),
 *   and each record carries the stream's joins when the fetch that brought it was asked for (`Message.joins`): the
 *   pump stamps it with the ownership of its partition then (`Committer.ownership`), not when it reads it.
 * - the committer (committer.ts), through {@link commitOffsets}: a commit refused by a rebalance is sent again by the
 *   client after it rejoins, from the same `offsets` array (so entries taken out of it meanwhile are not sent);
 *   `consumer:group:join` is emitted once the assignment is known (`assignments`, `memberId`, `generationId`), and the
 *   stream hears each join as the committer does (both count the same events); a commit made for a membership
 *   (patched: `CommitOptions.member`) is refused, not sent, when the client's is another as the request is built
 *   ({@link isStaleCommit}).
 * - `watchFencing` (membership.ts), through {@link onRequestFailed}: every request is traced on the
 *   `plt:kafka:connections:api` channel, its context's `connection.ownerId` being the client's `instanceId`.
 * - `createKafka` (client.ts), through {@link onConnectionCreated}: each connection is announced on
 *   `plt:kafka:instances` as `{ type: 'connection', instance }`.
 * - the records (patched): `refused` on a record a batch not read leaves, and the inflation budget of a fetch.
 */
export const SUPPORTED_CLIENT_VERSION = '2.12.1';

/** The installed client is not the version (or not patched as) this package was written for. */
export class KafkaClientUnsupportedError extends ModError {
  constructor(detail: string) {
    super(
      'MOD_ERR_KAFKA_CLIENT_UNSUPPORTED',
      `@platformatic/kafka không được hỗ trợ / is not supported: ${detail} ` +
        `(cần đúng bản / needs exactly ${SUPPORTED_CLIENT_VERSION} with patches/@platformatic__kafka@${SUPPORTED_CLIENT_VERSION}.patch)`,
    );
  }
}

/** The version of `@platformatic/kafka` installed for this package (its package.json). */
export function installedClientVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@platformatic/kafka');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return String(pkg.version);
}

/** A stand-in for the library's objects, to check what this module uses of them (tests pass their own). */
export interface ClientSurface {
  version: string;
  consumer: object;
  stream: object;
  exports: Record<string, unknown>;
}

const installed = (): ClientSurface => ({
  version: installedClientVersion(),
  consumer: Consumer.prototype,
  stream: MessagesStream.prototype,
  exports: { MAX_INFLATED_BYTES_PER_FETCH },
});

function hasGetter(o: object, name: string): boolean {
  for (let p: object | null = o; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d !== undefined) return typeof d.get === 'function';
  }
  return false;
}

/** What is wrong with `surface` for this package, or [] when nothing is. */
export function clientProblems(surface: ClientSurface): string[] {
  const problems: string[] = [];
  if (surface.version !== SUPPORTED_CLIENT_VERSION) problems.push(`version ${surface.version} installed`);
  const methods = (o: object, names: string[], of: string) => {
    for (const name of names)
      if (typeof (o as Record<string, unknown>)[name] !== 'function')
        problems.push(`${of}.${name} is not a method`);
  };
  methods(surface.consumer, ['fetch', 'commit', 'consume', 'on', 'removeListener'], 'Consumer');
  methods(surface.stream, ['forgetOffsets'], 'MessagesStream (patch not applied?)');
  // memberId, generationId and assignments are public fields of each consumer (typed), not on its prototype.
  if (!hasGetter(surface.consumer, 'instanceId')) problems.push('Consumer.instanceId is not a getter');
  for (const name of ['joins', 'offsetsToFetch'])
    if (!hasGetter(surface.stream, name)) problems.push(`MessagesStream.${name} is not a getter`);
  if (typeof surface.exports['MAX_INFLATED_BYTES_PER_FETCH'] !== 'number')
    problems.push('MAX_INFLATED_BYTES_PER_FETCH is not exported (patch not applied?)');
  return problems;
}

let checked = false;

/** Throws `KafkaClientUnsupportedError` unless the installed client is the one this package relies on (once). */
export function assertClientSupported(surface?: ClientSurface): void {
  if (surface === undefined && checked) return;
  const problems = clientProblems(surface ?? installed());
  if (problems.length > 0) throw new KafkaClientUnsupportedError(problems.join('; '));
  if (surface === undefined) checked = true;
}

export type FetchResponse = fetchV17.FetchResponse;
export type FetchCallback = (error: Error | null, response?: FetchResponse) => void;
export type FetchArgs = Parameters<Consumer['fetch']>[0];
export type Fetch = (options: FetchArgs, callback?: FetchCallback) => unknown;

/**
 * Puts `intercept` between `consumer`'s streams and the broker: every fetch of records goes through the function it
 * returns, given the client's own fetch (an own property of the consumer, for its whole life).
 */
export function interceptStreamFetches(consumer: Consumer, intercept: (fetch: Fetch) => Fetch): void {
  assertClientSupported();
  (consumer as unknown as { fetch: Fetch }).fetch = intercept(consumer.fetch.bind(consumer));
}

/** One offset to commit (`Consumer.commit`). */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
}

/**
 * Commits `offsets` (the array itself: the client, refused by a rebalance, rejoins and sends what is then in it, so
 * entries taken out of it before that are not sent) for `member` (patched): refused with an error `isStaleCommit`
 * says so, not sent, when the client's member id or generation is another as it builds the request (a JoinGroup
 * answer landed after the caller checked, or the client rejoined to send it again).
 */
export function commitOffsets(
  consumer: Consumer,
  offsets: CommitOffset[],
  member: { memberId: string | null; generationId: number },
): Promise<void> {
  const { memberId, generationId } = member;
  // No member id (not joined): the broker refuses it anyway.
  return consumer.commit(memberId === null ? { offsets } : { offsets, member: { memberId, generationId } });
}

/** Whether `err` is (or wraps) the refusal of a commit made for another membership ({@link commitOffsets}). */
export function isStaleCommit(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    const o = e as { staleCommit?: unknown; errors?: unknown; cause?: unknown };
    if (o.staleCommit === true) return true;
    if (Array.isArray(o.errors) && o.errors.some(isStaleCommit)) return true;
    e = o.cause;
  }
  return false;
}

const requests = tracingChannel('plt:kafka:connections:api');

/**
 * Calls `listener` for every request the client's connections failed, with the `instanceId` of the client owning the
 * connection. Returns what stops it.
 */
export function onRequestFailed(listener: (ownerId: unknown, error: unknown) => void): () => void {
  const onError = (message: unknown) => {
    const context = message as { connection?: { ownerId?: unknown }; error?: unknown };
    listener(context.connection?.ownerId, context.error);
  };
  requests.error.subscribe(onError);
  return () => requests.error.unsubscribe(onError);
}

/** Calls `listener` with every broker connection the client makes, as it is made (process-wide, for ever). */
export function onConnectionCreated(
  listener: (connection: { on(event: 'error', l: () => void): void }) => void,
): void {
  channel('plt:kafka:instances').subscribe((message) => {
    const { type, instance } = message as { type?: unknown; instance?: { on?: unknown } };
    if (type === 'connection' && typeof instance?.on === 'function')
      listener(instance as { on(event: 'error', l: () => void): void });
  });
}
