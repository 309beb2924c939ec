import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Codecs,
  serviceAcls,
  topicNames,
  topicSpecs,
  urlListChangeCodec,
  type UrlListChange,
  type UrlObserved,
  type Verdict,
} from '@mod/contracts';
import { applyAcls, createProducer, ensureTopics, followTopic } from '@mod/kafka';
import { createWorld, logger, serviceEnv, stopInOrder, waitFor, worldGroups, type World } from './helpers.js';
import { createIsp } from './isp-helpers.js';
import { ownBroker, type OwnBroker } from './own-broker.js';
import { spawnService, type ServiceProcess } from './processes.js';

/**
 * Start-up through the real stack, with the fetcher as a process (as `deploy/local/demo.sh` runs it): started on
 * a freshly created broker, right after its topics, it waits for what it needs instead of exiting, and processes
 * an event. Timings are printed (`[recovery]` lines).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('start-up on a freshly created broker', () => {
  const PORT = 39092;
  let broker: OwnBroker | undefined;
  let world: World | undefined;
  let fetcher: ServiceProcess | undefined;

  beforeAll(async () => {
    broker = await ownBroker({ nodes: 1, port: PORT, name: 'mod-fresh-broker' });
  }, 30_000);

  afterAll(async () => {
    await stopInOrder([
      ['fetcher', () => fetcher?.kill('SIGKILL')],
      ['world', () => world?.drop()],
      ['broker', () => broker?.remove()],
    ]);
  }, 120_000);

  it('the fetcher started together with its topics becomes ready and processes an event', async () => {
    broker!.kafkaSh('start');
    const cluster = broker!.access();
    // The schema, as a world makes it; the fetcher's topics come later, under a prefix of their own.
    const w = createWorld(cluster);
    world = w;
    await w.ready;
    const isp = await createIsp(w, 'isp-fresh');
    const prefix = `${w.prefix}late.`;
    const topics = topicNames(prefix);
    const groups = worldGroups(prefix);
    // Stricter than demo.sh (`modctl kafka setup`, then every service at once): the fetcher starts before its
    // topics, their leaders and its ACLs exist, and waits for them instead of exiting.
    const f = await spawnService(
      'fetcher',
      serviceEnv(w, 'fetcher', { LOG_LEVEL: 'info', TOPIC_PREFIX: prefix, FETCHER_GROUP_ID: groups.fetcher }),
      { logDir: broker!.dir },
    );
    fetcher = f;
    await waitFor('the fetcher to wait for its topics', async () =>
      f.lines.some((l) => l.includes('waiting for topics')),
    );
    await ensureTopics(w.kafka, topicSpecs(prefix));
    await applyAcls(w.kafka, serviceAcls({ prefix, groups }));
    await f.ready(120_000);
    console.info(
      `[recovery] fetcher on a fresh broker: ready ${Date.now() - f.startedAt} ms after its start`,
    );

    const producer = await createProducer(w.kafka);
    let verdict: Verdict | undefined;
    const follower = await followTopic({
      kafka: w.kafka,
      topic: topics.verdicts,
      groupId: `${prefix}watch-${randomUUID()}`,
      from: new Map(),
      logger,
      onRecord: (r) => {
        const v = r.value === null ? undefined : Codecs.verdict.decode(r.value);
        if (v?.tenantId === isp.id) verdict = v;
        return Promise.resolve();
      },
    });
    try {
      // A URL list as curation announces it (the fetcher follows the topic from where it was at its start).
      const changes: UrlListChange[] = [
        {
          type: 'url-bank-upserted',
          bankId: '1',
          name: 'fresh-list',
          enabled: true,
          negative: false,
          actionPolicy: 'automatic',
        },
        {
          type: 'url-entry-added',
          entry: {
            entryId: '1',
            bankId: '1',
            kind: 'host',
            pattern: 'listed.example',
            dedicatedToAbuse: true,
            category: 'A',
          },
        },
      ];
      await producer.send({
        topic: topics.urlListChanges,
        messages: changes.map((c) => ({ key: 'url-lists', value: urlListChangeCodec.encode(c) })),
      });
      // Observed URLs of the listed host (a new path each time: a URL is handled once per TTL) until a verdict.
      let n = 0;
      await waitFor(
        'the verdict of an observed URL',
        async () => {
          const event: UrlObserved = {
            eventId: randomUUID(),
            tenantId: isp.id,
            source: 'kafka',
            url: `http://listed.example/page-${n++}`,
            observedAt: new Date().toISOString(),
          };
          await producer.send({ topic: topics.urlObserved, messages: [{ value: JSON.stringify(event) }] });
          await sleep(500);
          return verdict;
        },
        60_000,
      );
      expect(verdict).toMatchObject({
        decision: 'match',
        subject: { type: 'host', value: 'listed.example' },
      });
    } finally {
      await follower.stop();
      await producer.disconnect();
    }
    expect((await f.kill('SIGTERM')).code).toBe(0);
  }, 240_000);

  it("keeps the broker's storage, the media topics' bytes among it, to its owner", () => {
    // Started by the test above (`start` again is a no-op then); its topics have segments by now.
    broker!.kafkaSh('start');
    const storage = join(broker!.dir, 'kafka');
    const open: string[] = [];
    const walk = (path: string) => {
      if ((statSync(path).mode & 0o077) !== 0) open.push(path);
      if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(storage);
    expect(readdirSync(storage).some((name) => name.includes('verdicts'))).toBe(true);
    expect(open).toEqual([]);
    expect(statSync(join(broker!.dir, 'kafka.log')).mode & 0o077).toBe(0);
  });
});
