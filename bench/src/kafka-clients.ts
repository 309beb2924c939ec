/**
 * Kafka client benchmark (platform issue): kafkajs 2.2.4 (the baseline, unmaintained since 2023) against
 * @platformatic/kafka (maintained, pure JavaScript, Node >= 22), in one run, against the real broker
 * (SASL/SCRAM-SHA-512 over TLS, as the pipeline runs), with the pipeline's message sizes: media (~200 KiB, the
 * intake's camera-like JPEGs) and verdicts (~2 KiB of JSON).
 *
 *   pnpm build && pnpm bench:kafka-clients        (KAFKA_CLIENTS_BENCH_SCALE=2 doubles the counts)
 *
 * Needs the broker's admin principal in the environment (as `deploy/local/test.sh` exports it) and a broker
 * both clients speak (Kafka 3.9: kafkajs does not speak Kafka 4). Printed per client and workload: produce
 * throughput with the pipeline's pattern (one idempotent send per message, 8 at once, acks=all), produce
 * latency (one at a time), consume throughput (a new group from the earliest offset) and end-to-end latency
 * (send to receipt, a message every 5 ms); then platformatic/kafkajs ratios.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  Consumer as PltConsumer,
  MessagesStreamModes,
  Producer as PltProducer,
  ProduceAcks,
  Admin as PltAdmin,
} from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { type KafkaCredentials } from '@mod/kafka';
import { credentialsFromEnvironment } from '@mod/testing';
import { fmt, pct } from './report-format.js';

const SCALE = Number(process.env['KAFKA_CLIENTS_BENCH_SCALE'] ?? 1);
const BROKERS = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const CONCURRENCY = 8;

interface Workload {
  name: string;
  bytes: number;
  count: number;
}
const WORKLOADS: Workload[] = [
  { name: 'media 200 KiB', bytes: 200 * 1024, count: Math.round(600 * SCALE) },
  { name: 'verdict 2 KiB', bytes: 2 * 1024, count: Math.round(6000 * SCALE) },
];
const LATENCY_SAMPLES = Math.round(300 * SCALE);

interface Client {
  name: string;
  /** Sends one message (an idempotent producer, acks=all). */
  send(topic: string, key: string, value: Buffer): Promise<void>;
  /** Reads `count` messages from the earliest offset with a new group; calls `seen` on each. */
  consume(
    topic: string,
    count: number,
    seen?: (value: Buffer) => void,
  ): Promise<{ start: () => void; done: Promise<void> }>;
  createTopic(topic: string): Promise<void>;
  close(): Promise<void>;
}

function kafkajsClient(c: KafkaCredentials): Client {
  const kafka = new kafkajs.Kafka({
    clientId: 'bench-kafkajs',
    brokers: BROKERS,
    ssl: c.caPem === undefined ? true : { ca: [c.caPem] },
    sasl: { mechanism: 'scram-sha-512', username: c.username, password: c.password },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let connected: Promise<void> | undefined;
  return {
    name: 'kafkajs 2.2.4',
    async send(topic, key, value) {
      await (connected ??= producer.connect());
      await producer.send({ topic, acks: -1, messages: [{ key, value }] });
    },
    async consume(topic, count, seen) {
      const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let n = 0;
      let resolve = () => undefined as void;
      const done = new Promise<void>((r) => (resolve = r)).finally(() => consumer.disconnect());
      return {
        start: () =>
          void consumer.run({
            eachMessage: async ({ message }) => {
              if (message.value) seen?.(message.value);
              if (++n === count) resolve();
            },
          }),
        done,
      };
    },
    async createTopic(topic) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      });
      await admin.disconnect();
    },
    async close() {
      if (connected) await producer.disconnect();
    },
  };
}

function platformaticClient(c: KafkaCredentials): Client {
  const base = {
    bootstrapBrokers: BROKERS,
    sasl: { mechanism: 'SCRAM-SHA-512' as const, username: c.username, password: c.password },
    tls: c.caPem === undefined ? {} : { ca: [c.caPem] },
  };
  const producer = new PltProducer({
    ...base,
    clientId: 'bench-platformatic',
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  return {
    name: '@platformatic/kafka 2.12.1',
    async send(topic, key, value) {
      await producer.send({ messages: [{ topic, key: Buffer.from(key), value }] });
    },
    async consume(topic, count, seen) {
      const consumer = new PltConsumer({
        ...base,
        clientId: 'bench-platformatic',
        groupId: `bench-${randomUUID()}`,
        maxWaitTime: 100,
      });
      let resolve = () => undefined as void;
      const done = new Promise<void>((r) => (resolve = r));
      let n = 0;
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.EARLIEST,
        autocommit: true,
      });
      stream.pause();
      stream.on('data', (message) => {
        seen?.(message.value);
        if (++n === count) resolve();
      });
      return {
        start: () => void stream.resume(),
        done: done.finally(async () => {
          await stream.close();
          await consumer.close(true);
        }),
      };
    },
    async createTopic(topic) {
      const admin = new PltAdmin({ ...base, clientId: 'bench-platformatic' });
      await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
      await admin.close();
    },
    close: () => producer.close(),
  };
}

interface Row {
  client: string;
  workload: string;
  produceMsgsPerS: number;
  produceMBPerS: number;
  consumeMsgsPerS: number;
  consumeMBPerS: number;
}

async function throughput(client: Client, w: Workload): Promise<Row> {
  const topic = `bench-clients-${randomUUID().slice(0, 8)}`;
  await client.createTopic(topic);
  const value = randomBytes(w.bytes);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < w.count) {
        const i = next++;
        await client.send(topic, `k-${i}`, value);
      }
    }),
  );
  const produceS = (performance.now() - t0) / 1000;
  const reader = await client.consume(topic, w.count);
  const t1 = performance.now();
  reader.start();
  await reader.done;
  const consumeS = (performance.now() - t1) / 1000;
  const mb = (w.count * w.bytes) / 2 ** 20;
  return {
    client: client.name,
    workload: w.name,
    produceMsgsPerS: w.count / produceS,
    produceMBPerS: mb / produceS,
    consumeMsgsPerS: w.count / consumeS,
    consumeMBPerS: mb / consumeS,
  };
}

async function latency(
  client: Client,
): Promise<{ produceP50: number; produceP99: number; e2eP50: number; e2eP99: number }> {
  const topic = `bench-clients-${randomUUID().slice(0, 8)}`;
  await client.createTopic(topic);
  const e2e: number[] = [];
  const reader = await client.consume(topic, LATENCY_SAMPLES, (v) =>
    e2e.push(performance.timeOrigin + performance.now() - v.readDoubleBE(0)),
  );
  reader.start();
  // Let the consumer join its group before measuring.
  await new Promise((r) => setTimeout(r, 3_000));
  const produce: number[] = [];
  const value = Buffer.alloc(2 * 1024);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    value.writeDoubleBE(performance.timeOrigin + performance.now(), 0);
    const t = performance.now();
    await client.send(topic, `k-${i}`, value);
    produce.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  await reader.done;
  produce.sort((a, b) => a - b);
  e2e.sort((a, b) => a - b);
  return {
    produceP50: pct(produce, 50),
    produceP99: pct(produce, 99),
    e2eP50: pct(e2e, 50),
    e2eP99: pct(e2e, 99),
  };
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `# Kafka client benchmark\nmachine: ${cpu}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GB RAM, Node ${process.version}; broker ${BROKERS.join(',')} (SASL_SSL, SCRAM-SHA-512), topics of 3 partitions`,
  );
  const credentials = credentialsFromEnvironment();
  const clients = [kafkajsClient(credentials), platformaticClient(credentials)];
  const rows: Row[] = [];
  const lat: Record<string, Awaited<ReturnType<typeof latency>>> = {};
  try {
    // Interleaved, so neither client always runs on a warmer broker.
    for (const w of WORKLOADS) for (const c of clients) rows.push(await throughput(c, w));
    for (const c of clients) lat[c.name] = await latency(c);
  } finally {
    for (const c of clients) await c.close();
  }
  console.log(
    '\n| client | workload | produce msg/s | produce MiB/s | consume msg/s | consume MiB/s |\n|---|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.client} | ${r.workload} | ${fmt(r.produceMsgsPerS, 0)} | ${fmt(r.produceMBPerS)} | ${fmt(r.consumeMsgsPerS, 0)} | ${fmt(r.consumeMBPerS)} |`,
    );
  console.log(
    '\n| client | produce p50 ms | produce p99 ms | end-to-end p50 ms | end-to-end p99 ms |\n|---|---|---|---|---|',
  );
  for (const [name, l] of Object.entries(lat))
    console.log(
      `| ${name} | ${fmt(l.produceP50, 2)} | ${fmt(l.produceP99, 2)} | ${fmt(l.e2eP50, 2)} | ${fmt(l.e2eP99, 2)} |`,
    );
  const [a, b] = clients.map((c) => c.name) as [string, string];
  console.log(`\n## ${b} / ${a}`);
  for (const w of WORKLOADS) {
    const x = rows.find((r) => r.client === a && r.workload === w.name) as Row;
    const y = rows.find((r) => r.client === b && r.workload === w.name) as Row;
    console.log(
      `${w.name}: produce ${fmt(y.produceMsgsPerS / x.produceMsgsPerS, 2)}x, consume ${fmt(y.consumeMsgsPerS / x.consumeMsgsPerS, 2)}x`,
    );
  }
  const la = lat[a];
  const lb = lat[b];
  if (la && lb)
    console.log(
      `latency: produce p50 ${fmt(lb.produceP50 / la.produceP50, 2)}x, p99 ${fmt(lb.produceP99 / la.produceP99, 2)}x; end-to-end p50 ${fmt(lb.e2eP50 / la.e2eP50, 2)}x, p99 ${fmt(lb.e2eP99 / la.e2eP99, 2)}x`,
    );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
