import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Codecs, MEDIA_META_HEADER, partnerTopic, type DeadLetter } from '@mod/contracts';
import { listAudit } from '@mod/db/audit';
import { createProducer, topicEndOffsets } from '@mod/kafka';
import { seedTenants } from '@mod/testing';
import {
  DATABASE_URL,
  grantPartner,
  json,
  makePhoto,
  partnerMediaMessage,
  publishPartnerMedia,
  read,
} from './helpers.js';
import { partner, usePlatformWorld, world } from './file-world.js';

// An operator's day after a fix: media from a platform whose tenant was not created yet is dead-lettered
// (MOD_ERR_TENANT_UNKNOWN); the operator creates the tenant, finds the dead letter with `modctl dlq list`,
// checks it with `show` and replays it: the media is scanned, and the replay is in the audit log.

usePlatformWorld({
  // A platform granted on Kafka whose tenant does not exist yet.
  partner: (w) => grantPartner(w, 'e2e-partner-b', 'late-platform', 'platform'),
  pipeline: {},
});

const MODCTL = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

/** `modctl dlq ...` as an operator runs it: the executable, as the admin principal, on the world's topics. */
function dlq(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const env = {
    ...process.env,
    TOPIC_PREFIX: world.prefix,
    DATABASE_URL,
    DATABASE_SCHEMA: world.schema,
    MODCTL_ACTOR: 'operator-1',
  };
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  return new Promise((resolve) =>
    execFile(process.execPath, [MODCTL, 'dlq', ...args], { env }, (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        out: lines(stdout),
        err: lines(stderr),
      }),
    ),
  );
}

/** The event ids of the dead letters of empty media the platform sends with these keys (its own topic), in order. */
async function deadLettered(keys: readonly string[]): Promise<string[]> {
  await partner.producer.send({
    topic: partnerTopic(world.prefix, 'mediaSubmitted', 'late-platform'),
    messages: keys.map((key) => ({ ...partnerMediaMessage(Buffer.alloc(0)).message, key })),
  });
  const letters = (
    await read(world, world.topics.deadLetters, (r) => keys.every((k) => r.some((m) => m.key === k)))
  ).map((m) => json<DeadLetter>(m));
  return keys.map((k) => letters.find((l) => l.sourceKey === k)?.eventId ?? '');
}

describe('modctl dlq (real Kafka and Postgres)', () => {
  it('lists a dead letter, shows it is replayable, and replays it once its cause is fixed', async () => {
    const submissionId = await publishPartnerMedia(world, partner, await makePhoto(91));
    const [letter] = (
      await read(world, world.topics.deadLetters, (r) => r.some((m) => m.key === submissionId))
    ).map((m) => json<DeadLetter>(m));
    expect(letter?.reason.code).toBe('MOD_ERR_TENANT_UNKNOWN');
    const eventId = letter?.eventId ?? '';

    const listed = await dlq('list', '--code', 'MOD_ERR_TENANT_UNKNOWN');
    expect(listed.code).toBe(0);
    expect(listed.out.map((l) => JSON.parse(l) as { eventId: string })).toEqual([
      expect.objectContaining({
        eventId,
        code: 'MOD_ERR_TENANT_UNKNOWN',
        source: expect.objectContaining({ key: submissionId }) as unknown,
      }),
    ]);
    const none = await dlq('list', '--code', 'MOD_ERR_NOT_THIS');
    expect(none.code).toBe(0);
    expect(none.out).toEqual([]);
    const shown = await dlq('show', eventId);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out[0] ?? '{}')).toMatchObject({
      eventId,
      replayable: true,
      headers: expect.arrayContaining([MEDIA_META_HEADER]) as unknown,
    });

    // The fix: the tenant exists now (the scanner's tenant cache forgets an unknown tenant within 5 s).
    await seedTenants(world.db, [{ id: 'late-platform', kind: 'platform' }]);
    await new Promise((r) => setTimeout(r, 5_500));
    const replayed = await dlq('replay', eventId);
    expect(replayed.code).toBe(0);
    expect(replayed.out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { replayed: eventId, topic: partnerTopic(world.prefix, 'mediaSubmitted', 'late-platform') },
    ]);
    const verdicts = await read(world, world.topics.verdicts, (r) => r.some((m) => m.key === submissionId));
    expect(verdicts.filter((m) => m.key === submissionId)).toHaveLength(1);
    const audit = await listAudit(world.db, { subjectId: eventId });
    expect(audit.map((a) => [a.action, a.actor.id])).toEqual([['dlq.replayed', 'modctl:operator-1']]);

    // Unknown ids and malformed ones are refused with a reason; nothing is published.
    const unknown = await dlq('replay', randomUUID());
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.err[0] ?? '{}')).toMatchObject({
      error: { code: 'MOD_ERR_CLI_UNKNOWN_DEAD_LETTER' },
    });
    expect((await dlq('show', 'not-an-id')).code).toBe(2);
  });

  it('replays a dead letter whose key was cut at its bound between the two halves of a character', async () => {
    // A dead letter keeps the first 1024 UTF-16 units of its message's key: cut inside an emoji, the key held half
    // a character, which the audit log refuses as text, so every replay of that letter failed.
    const { message } = partnerMediaMessage(Buffer.alloc(0));
    const key = `${'k'.repeat(1023)}\u{1F600}`;
    await partner.producer.send({
      topic: partnerTopic(world.prefix, 'mediaSubmitted', 'late-platform'),
      messages: [{ ...message, key }],
    });
    const ours = (l: DeadLetter) => l.sourceKey?.startsWith('k'.repeat(1000)) === true;
    const [letter] = (
      await read(world, world.topics.deadLetters, (r) => r.some((m) => ours(json<DeadLetter>(m))))
    )
      .map((m) => json<DeadLetter>(m))
      .filter(ours);
    // Well-formed text: UTF-8 and back gives it unchanged (half a character would come back as U+FFFD).
    const sourceKey = letter?.sourceKey ?? '';
    expect(Buffer.from(sourceKey, 'utf8').toString('utf8')).toBe(sourceKey);
    const replayed = await dlq('replay', letter?.eventId ?? '');
    expect(replayed.code, replayed.err.join('\n')).toBe(0);
    expect(await listAudit(world.db, { subjectId: letter?.eventId ?? '' })).toHaveLength(1);
  });

  it('replays a dead letter whose key holds a NUL, and the letters named after it', async () => {
    // A platform chooses its messages' keys: one holding U+0000 went into the replay's audit evidence, whose short
    // strings PostgreSQL indexes as text, which holds no NUL; the replay failed, and so did every letter named after
    // it in the same command (another tenant's, say).
    const ids = await deadLettered([`nul\u0000${randomUUID()}`, `plain-${randomUUID()}`]);
    const replayed = await dlq('replay', ...ids);
    expect(replayed.code, replayed.err.join('\n')).toBe(0);
    expect(replayed.out.map((l) => (JSON.parse(l) as { replayed: string }).replayed)).toEqual(ids);
    for (const id of ids) expect(await listAudit(world.db, { subjectId: id })).toHaveLength(1);
  });

  it('replays nothing into a topic no step consumes, whatever a forged dead letter names', async () => {
    // A service credential can write the dead-letter topic: a forged letter names a takedown request the platform
    // already received (an order since withdrawn, say), with its true digest and offset, hoping an operator
    // publishes it again as the admin principal.
    const outbound = partnerTopic(world.prefix, 'takedownRequests', 'late-platform');
    const old = Buffer.from('{"orderId":"an order withdrawn since"}');
    const producer = await createProducer(world.kafka);
    try {
      await producer.send({ topic: outbound, messages: [{ key: 'order-1', value: old }] });
      const ends = await topicEndOffsets(world.kafka, outbound);
      const forged: DeadLetter = {
        eventId: randomUUID(),
        sourceTopic: outbound,
        sourcePartition: 0,
        sourceOffset: String(BigInt(ends.get(0) ?? '1') - 1n),
        sourceKey: 'order-1',
        valueSha256: createHash('sha256').update(old).digest('hex'),
        valueBytes: old.length,
        consumer: `${world.prefix}scanner`,
        reason: { code: 'MOD_ERR_TENANT_UNKNOWN', message: 'forged' },
        failedAt: new Date().toISOString(),
      };
      await producer.send({
        topic: world.topics.deadLetters,
        messages: [{ key: 'order-1', value: Codecs.deadLetter.encode(forged) }],
      });
      const shown = await dlq('show', forged.eventId);
      expect(JSON.parse(shown.out[0] ?? '{}')).toMatchObject({ eventId: forged.eventId, replayable: false });
      const replayed = await dlq('replay', forged.eventId);
      expect(replayed.code).toBe(1);
      expect(JSON.parse(replayed.err[0] ?? '{}')).toMatchObject({
        error: { code: 'MOD_ERR_CLI_DLQ_NOT_REPLAYABLE' },
      });
      expect(await topicEndOffsets(world.kafka, outbound)).toEqual(ends);
      expect(await listAudit(world.db, { subjectId: forged.eventId })).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  });
  it('shows a summary letter (dead letters folded past their bound) with what it folded, and refuses to replay it', async () => {
    // What a worker's runner writes when a platform's records go bad past DEAD_LETTERS_PER_SOURCE: one letter for
    // thousands, which has no message of its own; before, replay looked for one at its first offset.
    const topic = partnerTopic(world.prefix, 'mediaSubmitted', 'late-platform');
    const folded = {
      count: 4_000,
      firstOffset: '100',
      lastOffset: '4099',
      tenant: 'late-platform',
      valueBytes: 0,
      codes: [{ code: 'MOD_ERR_TENANT_UNKNOWN', count: 4_000 }],
    };
    const summary: DeadLetter = {
      eventId: randomUUID(),
      sourceTopic: topic,
      sourcePartition: 0,
      sourceOffset: folded.firstOffset,
      sourceKey: null,
      valueSha256: createHash('sha256').digest('hex'),
      valueBytes: 0,
      consumer: `${world.prefix}scanner`,
      reason: {
        code: 'MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED',
        message: '4000 dead letters folded into this one',
      },
      failedAt: new Date().toISOString(),
      folded,
    };
    const producer = await createProducer(world.kafka);
    try {
      await producer.send({
        topic: world.topics.deadLetters,
        messages: [{ key: null, value: Codecs.deadLetter.encode(summary) }],
      });
    } finally {
      await producer.disconnect();
    }
    const listed = await dlq('list', '--code', 'MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED');
    expect(listed.out.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ eventId: summary.eventId, folded }),
    ]);
    const shown = await dlq('show', summary.eventId);
    expect(JSON.parse(shown.out[0] ?? '{}')).toMatchObject({ folded, replayable: false });
    const ends = await topicEndOffsets(world.kafka, topic);
    const replayed = await dlq('replay', summary.eventId);
    expect(replayed.code).toBe(1);
    const { error } = JSON.parse(replayed.err[0] ?? '{}') as { error: { code: string; message: string } };
    expect(error.code).toBe('MOD_ERR_CLI_DLQ_FOLDED');
    expect(error.message).toContain(`offsets 100..4099, folded into one`);
    expect(error.message).toContain(`consumer group ${world.prefix}scanner on that partition back to 100`);
    expect(await topicEndOffsets(world.kafka, topic)).toEqual(ends);
    expect(await listAudit(world.db, { subjectId: summary.eventId })).toEqual([]);
  });

  it('prints a partner-chosen key with bidi and C1 characters escaped, in list and show', async () => {
    // A platform chooses its messages' keys: JSON.stringify left U+202E (right-to-left override), U+2066 and U+009B (a
    // terminal's CSI) raw, so the operator's terminal showed a line other than the letter's.
    const key = `spoof\u202e\u2066${randomUUID()}\u009b31m`;
    const [eventId = ''] = await deadLettered([key]);
    const raw = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;
    const listed = await dlq('list');
    expect(listed.code).toBe(0);
    const line = listed.out.find((l) => l.includes(eventId)) ?? '';
    expect(line).toContain('\\u202e\\u2066');
    const shown = await dlq('show', eventId);
    expect(shown.code).toBe(0);
    for (const text of [line, shown.out[0] ?? '']) {
      expect(text).not.toMatch(raw);
      // The same JSON: the key reads back as it was sent.
      expect((JSON.parse(text) as { source: { key: string } }).source.key).toBe(key);
    }
  });

  it("says a database failure's own code, and which letters were replayed and which not", async () => {
    // A database failure during replay was reported as MOD_ERR_CLI_KAFKA, and nothing said how far it got.
    const topic = partnerTopic(world.prefix, 'mediaSubmitted', 'late-platform');
    const [first = '', second = ''] = await deadLettered([
      `db-first-${randomUUID()}`,
      `db-second-${randomUUID()}`,
    ]);
    // The database fails the second letter's audit record (as a full disk would: SQLSTATE 53100).
    const schema = `"${world.schema}"`;
    await world.db.query(
      `create function ${schema}.dlq_test_fail() returns trigger language plpgsql as $$
       begin raise exception 'no room for the record (test)' using errcode = '53100'; end $$`,
    );
    await world.db.query(
      `create trigger dlq_test_fail before insert on ${schema}.audit_records for each row
       when (new.record like '%${second}%') execute function ${schema}.dlq_test_fail()`,
    );
    try {
      const before = await topicEndOffsets(world.kafka, topic);
      const replayed = await dlq('replay', first, second);
      expect(replayed.code).toBe(1);
      expect(replayed.out.map((l) => (JSON.parse(l) as { replayed: string }).replayed)).toEqual([first]);
      expect(JSON.parse(replayed.err[0] ?? '{}')).toMatchObject({
        error: { code: 'MOD_ERR_DB_UNAVAILABLE' },
        replayed: [first],
        notReplayed: [second],
      });
      // The first was published again and audited; the second neither.
      expect(Number((await topicEndOffsets(world.kafka, topic)).get(0)) - Number(before.get(0))).toBe(1);
      expect(await listAudit(world.db, { subjectId: first })).toHaveLength(1);
      expect(await listAudit(world.db, { subjectId: second })).toEqual([]);
    } finally {
      await world.db.query(`drop trigger dlq_test_fail on ${schema}.audit_records`);
      await world.db.query(`drop function ${schema}.dlq_test_fail()`);
    }
  });
});
