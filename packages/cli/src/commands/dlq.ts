import { createHash } from 'node:crypto';
import { Codecs, isModError, tenantOfPartnerTopic, topicNames, type DeadLetter } from '@mod/contracts';
import { toDatabaseError } from '@mod/db';
import { appendAuditAlone } from '@mod/db/audit';
import { createProducer, readRecordAt, readToEnd, type Kafka, type ReadRecord } from '@mod/kafka';
import {
  commandFailed,
  positiveInt,
  stringOptions,
  subcommandCommand,
  type Command,
  type CommandIo,
  type SubcommandContext,
} from '../command.js';
import { CliError, CliErrorCode } from '../errors.js';
import { operator, withPool } from './curator.js';
import { kafkaFromEnv } from './kafka.js';

const USAGE = [
  'usage: modctl dlq list [--code MOD_ERR_...] [--consumer GROUP] [--limit N]',
  '       modctl dlq show EVENT_ID',
  '       modctl dlq replay EVENT_ID [EVENT_ID ...]',
  'list prints the dead letters on the dead-letter topic as JSON lines, oldest first (what failed, where, why);',
  'show adds whether the source topic still keeps the message. replay publishes the original message again to',
  'its source topic (same key, value and headers, plus mod-replay-of), once its cause is fixed; the bytes are',
  'checked against the digest the dead letter recorded, only a topic a step consumes is replayed to, and each',
  'replay is an audit record. Consumers are',
  'idempotent by event id: replaying what was since processed changes nothing.',
  "A summary letter (MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED: past a source's bound, many bad records folded into one)",
  'has no message to replay: show names its offsets (folded), replay refuses it (MOD_ERR_CLI_DLQ_FOLDED) and says',
  'which offsets its consumer group would read again.',
  'environment: KAFKA_BROKERS, KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD of an admin principal, KAFKA_TLS,',
  '             KAFKA_TLS_CA_PATH, TOPIC_PREFIX; for replay: DATABASE_URL, DATABASE_SCHEMA, MODCTL_ACTOR',
  'exit codes: 0 done; 1 failed: nothing replayed past the first failure, and stderr says its code (MOD_ERR_DB_*',
  '            for the database, MOD_ERR_CLI_KAFKA for the broker) with the letters replayed and those not; 2 usage',
].join('\n');

const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The dead letters on the topic, oldest first; records that are not dead letters are skipped. */
async function deadLetters(kafka: Kafka, prefix: string): Promise<DeadLetter[]> {
  const records = await readToEnd(kafka, topicNames(prefix).deadLetters);
  const letters: DeadLetter[] = [];
  for (const r of records) {
    try {
      letters.push(Codecs.deadLetter.decode(r.value));
    } catch {
      // Not a dead letter (written by hand?): not ours to list or replay.
    }
  }
  return letters.sort((a, b) => a.failedAt.localeCompare(b.failedAt));
}

const summary = (l: DeadLetter) => ({
  eventId: l.eventId,
  failedAt: l.failedAt,
  consumer: l.consumer,
  code: l.reason.code,
  message: l.reason.message,
  source: { topic: l.sourceTopic, partition: l.sourcePartition, offset: l.sourceOffset, key: l.sourceKey },
  bytes: l.valueBytes,
  ...(l.folded === undefined ? {} : { folded: l.folded }),
});

/** The refusal to replay a summary letter: what it folded, and what reading it again takes. */
function foldedRefusal(l: DeadLetter & { folded: NonNullable<DeadLetter['folded']> }): CliError {
  const f = l.folded;
  return new CliError(
    CliErrorCode.Folded,
    `${l.eventId} stands for ${f.count} dead letters of ${l.sourceTopic.slice(0, 300)} partition ` +
      `${l.sourcePartition}, offsets ${f.firstOffset}..${f.lastOffset}, folded into one: no message to replay. ` +
      `To have them read again once the cause is fixed, set the offset of consumer group ` +
      `${l.consumer.slice(0, 300)} on that partition back to ${f.firstOffset} (its steps are idempotent)`,
  );
}

/** The original message of a dead letter, if its topic still keeps it and it is the same bytes. */
async function original(kafka: Kafka, l: DeadLetter) {
  const record = await readRecordAt(kafka, l.sourceTopic, l.sourcePartition, l.sourceOffset);
  // A compressed batch the client would not inflate (a bomb) has no message to send again.
  if (record === null || record.refused !== undefined) return null;
  const sha256 = createHash('sha256')
    .update(record.value ?? Buffer.alloc(0))
    .digest('hex');
  return sha256 === l.valueSha256 ? record : null;
}

/**
 * Whether a dead letter's source is a topic a pipeline step consumes (the only topics whose messages are
 * dead-lettered): media and observed URLs (internal, or a partner's own inbound topic), verdicts and
 * classifications. Any other source (bank or URL-list changes, tree heads, a partner's outbound topic, the
 * dead-letter topic itself) can only come from a forged dead letter, and replaying it there would publish an old
 * message again as the admin principal.
 */
export function replayableSource(prefix: string, topic: string): boolean {
  const t = topicNames(prefix);
  return (
    [t.mediaSubmitted, t.urlObserved, t.verdicts, t.classifications].includes(topic) ||
    tenantOfPartnerTopic(prefix, 'mediaSubmitted', topic) !== null ||
    tenantOfPartnerTopic(prefix, 'urlObserved', topic) !== null
  );
}

const OPTIONS = stringOptions('code', 'consumer', 'limit');

/** `modctl dlq ...`: what was dead-lettered and why, and replaying it once the cause is fixed. */
export const dlqCommand: Command = subcommandCommand({
  name: 'dlq',
  summary: 'dead letters: list them, show one, replay them once the cause is fixed',
  usage: USAGE,
  positionals: true,
  options: OPTIONS,
  handlers: {
    list: async ({ values: v, positionals: ids, io, usage }) => {
      if (ids.length > 0) return usage('list takes no event ids');
      const limit = positiveInt(v.limit, Infinity);
      if (limit === null) return usage('--limit takes a positive integer');
      const { kafka, prefix } = kafkaFromEnv();
      const letters = (await deadLetters(kafka, prefix)).filter(
        (l) =>
          (v.code === undefined || l.reason.code === v.code) &&
          (v.consumer === undefined || l.consumer === v.consumer),
      );
      for (const l of letters.slice(-limit)) io.stdout(JSON.stringify(summary(l)));
      return 0;
    },
    show: showOrReplay,
    replay: showOrReplay,
  },
  failed: (io, err) => commandFailed(io, err, CliErrorCode.Kafka),
});

/** `show EVENT_ID` and `replay EVENT_ID...`: the dead letters named, found on the topic first. */
async function showOrReplay({
  sub,
  positionals: ids,
  io,
  usage,
  print,
}: SubcommandContext<typeof OPTIONS>): Promise<number> {
  if (ids.length === 0 || (sub === 'show' && ids.length > 1) || !ids.every((id) => EVENT_ID.test(id)))
    return usage(`${sub} takes ${sub === 'show' ? 'one event id' : 'event ids'} (UUIDs)`);
  const { kafka, prefix } = kafkaFromEnv();
  const letters = new Map((await deadLetters(kafka, prefix)).map((l) => [l.eventId, l]));
  const wanted = ids.map((id) => {
    const l = letters.get(id);
    if (l === undefined) throw new CliError(CliErrorCode.UnknownDeadLetter, `no dead letter ${id}`);
    return l;
  });
  if (sub === 'replay') return replay(kafka, prefix, wanted, io);
  const l = wanted[0] as DeadLetter;
  const record =
    l.folded === undefined && replayableSource(prefix, l.sourceTopic) ? await original(kafka, l) : null;
  return print({
    ...summary(l),
    valueSha256: l.valueSha256,
    replayable: record !== null,
    ...(record === null ? {} : { headers: Object.keys(record.headers).sort() }),
  });
}

/** A broker step of a replay: a failure without a code of its own is the broker's (`MOD_ERR_CLI_KAFKA`). */
async function onBroker<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isModError(err)) throw err;
    throw new CliError(CliErrorCode.Kafka, `${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Publishes each letter's original again, in order, each audited first. A failure stops there, answered on stderr
 * with its code (the database's, `MOD_ERR_DB_*`, or the broker's, `MOD_ERR_CLI_KAFKA`) and the letters replayed
 * before it and those not, so that the operator knows what to replay again once it is fixed.
 */
async function replay(
  kafka: Kafka,
  prefix: string,
  letters: readonly DeadLetter[],
  io: CommandIo,
): Promise<number> {
  // Every original is found and checked before anything is published.
  const originals: { letter: DeadLetter; record: ReadRecord }[] = [];
  for (const l of letters) {
    if (l.folded !== undefined) throw foldedRefusal({ ...l, folded: l.folded });
    if (!replayableSource(prefix, l.sourceTopic))
      throw new CliError(
        CliErrorCode.NotReplayable,
        `${l.eventId}: ${l.sourceTopic.slice(0, 300)} is not a topic any pipeline step consumes; not replayed`,
      );
    const record = await original(kafka, l);
    if (record === null)
      throw new CliError(
        CliErrorCode.SourceGone,
        `${l.eventId}: ${l.sourceTopic} no longer keeps offset ${l.sourceOffset} of partition ${l.sourcePartition} (or holds other bytes there)`,
      );
    originals.push({ letter: l, record });
  }
  const replayed: string[] = [];
  try {
    const producer = await onBroker('connect the producer', () => createProducer(kafka));
    try {
      await withPool(async (pool) => {
        const by = operator('admin');
        for (const { letter, record } of originals) {
          const audit = (action: string, reason: string) =>
            appendAuditAlone(pool, {
              actor: by.actor,
              role: by.role,
              tenantId: null,
              action,
              subject: { type: 'dead-letter', id: letter.eventId },
              reason,
              evidence: { source: summary(letter).source, valueSha256: letter.valueSha256 },
            }).catch((err: unknown) => {
              throw toDatabaseError(err, `audit ${action} of ${letter.eventId}`);
            });
          const where = `${letter.sourceTopic}/${letter.sourcePartition}@${letter.sourceOffset}`;
          // On record before it leaves: a replay the log does not know of never happens.
          await audit(
            'dlq.replayed',
            `replayed ${where} (dead-lettered by ${letter.consumer}: ${letter.reason.code})`,
          );
          try {
            await onBroker(`replay ${letter.eventId}`, () =>
              producer.send({
                topic: letter.sourceTopic,
                messages: [
                  {
                    key: record.key,
                    value: record.value,
                    headers: { ...record.headers, 'mod-replay-of': letter.eventId },
                  },
                ],
              }),
            );
          } catch (err) {
            await audit('dlq.replay_failed', `the broker refused the replay of ${where}`).catch(
              () => undefined,
            );
            throw err;
          }
          replayed.push(letter.eventId);
          io.stdout(JSON.stringify({ replayed: letter.eventId, topic: letter.sourceTopic }));
        }
      });
    } finally {
      await producer.disconnect();
    }
    return 0;
  } catch (err) {
    // Opening the pool, migrating and auditing are the database's; the broker's steps are coded above.
    const error = toDatabaseError(err, 'database').toJSON();
    const notReplayed = originals.map((o) => o.letter.eventId).filter((id) => !replayed.includes(id));
    io.stderr(JSON.stringify({ error, replayed, notReplayed }));
    return 1;
  }
}
