import { randomUUID } from 'node:crypto';
import { serviceAcls, topicNames, topicSpecs } from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { createPool, migrate, type Pool } from '@mod/db';
import { upsertTenant } from '@mod/db/access';
import { hashMedia } from '@mod/hashing/decode';
import { applyAcls, createKafka, deleteTopics, ensureTopics, removeAcls, type Kafka } from '@mod/kafka';
import { credentialsFromEnvironment, serviceEnvironment } from '@mod/testing';
import type { Logger } from '@mod/telemetry';

/** The world a `bench:e2e` run owns: its topic prefix, consumer groups, ACLs, schema, tenants and bank. */
export interface BenchWorld {
  prefix: string;
  schema: string;
  databaseUrl: string;
  groups: { scanner: string; classifier: string; actioner: string; fetcher: string };
  topics: ReturnType<typeof topicNames>;
  kafka: Kafka;
  acls: ReturnType<typeof serviceAcls>;
  db: Pool;
}

/** Names a fresh world and connects to the broker and the database (nothing is created yet). */
export function createBenchWorld(logger: Logger): BenchWorld {
  const id = randomUUID().slice(0, 8);
  const prefix = `bench-e2e-${id}.`;
  const schema = `bench_e2e_${id}`;
  const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation';
  const groups = {
    scanner: `${prefix}scanner`,
    classifier: `${prefix}classifier`,
    actioner: `${prefix}actioner`,
    fetcher: `${prefix}fetcher`,
  };
  const kafka = createKafka({
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    clientId: 'bench-e2e',
    logger,
    credentials: credentialsFromEnvironment(),
  });
  return {
    prefix,
    schema,
    databaseUrl,
    groups,
    topics: topicNames(prefix),
    kafka,
    acls: serviceAcls({ prefix, groups }),
    db: createPool({ connectionString: databaseUrl, schema, max: 3 }),
  };
}

/**
 * Creates the world: topics, ACLs, schema, a platform and two ISPs, and an automatic bank holding both perceptual
 * signals of `bankImages`, as shared lists carry them (PDQ alone skips low-quality images, quality < 50).
 * `mediaPartitions` (0: the default layout) sets the internal media topic's partitions.
 */
export async function prepareBenchWorld(
  world: BenchWorld,
  bankImages: readonly Buffer[],
  mediaPartitions = 0,
): Promise<void> {
  const { kafka, db, prefix, schema, topics } = world;
  // More media partitions than the default spread the backlog evenly over more instances (2 of 3 is uneven).
  const specs = topicSpecs(prefix).map((t) =>
    mediaPartitions > 0 && t.name === topics.mediaSubmitted ? { ...t, partitions: mediaPartitions } : t,
  );
  await ensureTopics(kafka, specs, { replicationFactor: 1 });
  await applyAcls(kafka, world.acls);
  await migrate(db, schema);
  await upsertTenant(db, {
    id: 'bench-platform',
    kind: 'platform',
    name: 'bench',
    subscribedToBlocking: false,
  });
  for (const isp of ['bench-isp-1', 'bench-isp-2'])
    await upsertTenant(db, { id: isp, kind: 'isp', name: isp, subscribedToBlocking: true });
  const { bank } = await createBank(
    db,
    { name: 'bench-known', source: 'bench', signalTypes: ['pdq', 'blockhash'], actionPolicy: 'automatic' },
    topics.bankChanges,
  );
  const hashes = await Promise.all(bankImages.map((k) => hashMedia(k)));
  await addEntries(
    db,
    bank.id,
    hashes.flatMap((h) => [
      { signal: 'pdq' as const, value: h.pdq, category: 'A' },
      { signal: 'blockhash' as const, value: h.blockhash, category: 'A' },
    ]),
    topics.bankChanges,
  );
}

/** The environment of a service of this world running as Kafka principal `principal`. */
export function serviceEnvOf(
  world: BenchWorld,
  extra: Record<string, string>,
): (principal: string) => Record<string, string> {
  const common: Record<string, string> = {
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
    DATABASE_URL: world.databaseUrl,
    DATABASE_SCHEMA: world.schema,
    TOPIC_PREFIX: world.prefix,
    SCANNER_GROUP_ID: world.groups.scanner,
    CLASSIFIER_GROUP_ID: world.groups.classifier,
    ACTIONER_GROUP_ID: world.groups.actioner,
    ...extra,
  };
  return (principal) => ({ ...common, ...serviceEnvironment(principal) });
}

/** Drops the schema, closes the pool, deletes the topics and removes the ACLs; never throws for what is gone. */
export async function tearDownBenchWorld(world: BenchWorld): Promise<void> {
  const { kafka, db } = world;
  await db.query(`drop schema if exists ${world.schema} cascade`).catch(() => undefined);
  await db.end();
  await deleteTopics(
    kafka,
    topicSpecs(world.prefix).map((t) => t.name),
  ).catch(() => undefined);
  await removeAcls(kafka, world.acls).catch(() => undefined);
}
