import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, ensureTopics, ProduceDeadlineError, type Producer } from '@mod/kafka';
import { readTopic, tenantWithKey } from '@mod/testing';
import { buildWorldApp, createWorld, stopInOrder, type World } from './helpers.js';
import { ownBroker, type OwnBroker } from './own-broker.js';

/**
 * The broker unreachable for long (its only node paused: connections open, nothing answered), as a caller publishes:
 * the client would wait 30 s per request and retry 8 times, each send queued behind the one before, holding an
 * upload or the outbox relay for minutes. Each send answers at its deadline with a retriable ProduceDeadlineError
 * instead, and once the broker answers again the caller's retry puts every record on the topic.
 */
describe('a send while the broker does not answer (a single-node cluster of its own, paused and resumed)', () => {
  let broker: OwnBroker | undefined;
  let world: World | undefined;
  let producer: Producer | undefined;
  /** The broker's process (the pid file `kafka.sh` keeps for a single node). */
  const signal = (s: NodeJS.Signals) =>
    process.kill(Number(readFileSync(join(broker!.dir, 'kafka.pid'), 'utf8').trim()), s);

  beforeAll(async () => {
    broker = await ownBroker({ nodes: 1, port: 47092, name: 'mod-produce-deadline' });
    broker.kafkaSh('start');
    world = createWorld(broker.access());
    await world.ready;
  }, 180_000);

  afterAll(async () => {
    await stopInOrder([
      ['resume', () => Promise.resolve(broker === undefined ? undefined : signal('SIGCONT'))],
      ['producer', () => producer?.disconnect()],
      ['world', () => world?.drop()],
      ['broker', () => broker?.remove()],
    ]);
  }, 180_000);

  it('answers each send at its deadline with a retriable error, and loses nothing once the broker is back', async () => {
    const topic = `${world!.prefix}deadline`;
    await ensureTopics(world!.kafka, [
      { name: topic, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    producer = await createProducer(world!.kafka, { sendDeadlineMs: 3_000 });
    await producer.send({ topic, messages: [{ value: 'before' }] });

    signal('SIGSTOP');
    // The second waits behind the first: it too is answered at its own deadline.
    const outcomes = await Promise.allSettled([
      producer.send({ topic, messages: [{ value: 'during-1' }] }),
      producer.send({ topic, messages: [{ value: 'during-2' }, { value: 'during-3' }] }),
    ]);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const err = (o as PromiseRejectedResult).reason as ProduceDeadlineError;
      expect(err).toBeInstanceOf(ProduceDeadlineError);
      expect(err).toMatchObject({ code: 'MOD_ERR_KAFKA_PRODUCE', retriable: true, deadlineMs: 3_000 });
      expect(err.acknowledgedCount).toBe(0);
    }

    signal('SIGCONT');
    // The callers retry (a 503 answered, an outbox row kept, an offset not committed): every record on the topic.
    await producer.send({ topic, messages: [{ value: 'during-1' }] });
    await producer.send({ topic, messages: [{ value: 'during-2' }, { value: 'during-3' }] });
    const want = ['before', 'during-1', 'during-2', 'during-3'];
    const records = await readTopic(
      world!.kafka,
      topic,
      (r) => want.every((v) => r.some((x) => x.value?.toString() === v)),
      60_000,
    );
    // At least once: a request under way at the deadline may have reached the topic as well.
    expect(new Set(records.map((r) => r.value?.toString()))).toEqual(new Set(want));
  }, 240_000);

  it('answers an ISP upload 503 with retry-after when the broker does not answer, and queues it on the retry once back', async () => {
    const app = await buildWorldApp(world!, producer!);
    const key = await tenantWithKey(world!.db, { id: 'isp-deadline', kind: 'isp', role: 'isp' });
    const urls = ['https://deadline-a.example/1', 'https://deadline-b.example/2'];
    const upload = () =>
      app.inject({
        method: 'POST',
        url: '/v1/isp/traffic-samples',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/x-ndjson',
          'idempotency-key': 'deadline-upload-1',
        },
        payload: urls.map((url) => JSON.stringify({ url })).join('\n') + '\n',
      });
    try {
      signal('SIGSTOP');
      const away = await upload();
      signal('SIGCONT');
      expect(away.statusCode, away.body).toBe(503);
      expect(away.headers['retry-after']).toBe('30');
      // The retry with the same key queues what the first did not (charged once: the first gave its lines back).
      const back = await upload();
      expect(back.statusCode, back.body).toBe(202);
      const replay = await upload();
      expect(replay.statusCode, replay.body).toBe(202);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      const records = await readTopic(
        world!.kafka,
        world!.topics.urlObserved,
        (r) => urls.every((u) => r.some((x) => x.value?.toString().includes(u))),
        60_000,
      );
      expect(urls.every((u) => records.some((x) => x.value?.toString().includes(u)))).toBe(true);
    } finally {
      await app.close();
    }
  }, 240_000);
});
