import { randomUUID } from 'node:crypto';
import { DefaultServicePrincipals, serviceAcls, topicNames, topicSpecs } from '@mod/contracts';
import { createPool, migrate, type Pool } from '@mod/db';
import { applyAcls, createKafka, ensureTopics, removeAcls, type Kafka } from '@mod/kafka';
import { credentialsFromEnvironment, dropSchema, serviceEnvironment, TEST_DATABASE_URL } from '@mod/testing';
import { createLogger, type Logger } from '@mod/telemetry';

export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
export const DATABASE_URL = TEST_DATABASE_URL;
export const logger: Logger = createLogger('e2e', process.env['TEST_LOG_LEVEL'] ?? 'silent');

/**
 * Which Kafka cluster a world uses and how it reaches it: the brokers, the environment holding the admin
 * principal and the credentials directory of the services' principals (`credentialsFromEnvironment`), and the
 * replication of the world's topics. Default: the cluster `deploy/local/test.sh` started (this process's env).
 */
export interface ClusterAccess {
  brokers: string;
  env: NodeJS.ProcessEnv;
  replicationFactor: number;
}

export const localCluster = (): ClusterAccess => ({
  brokers: KAFKA_BROKERS,
  env: process.env,
  replicationFactor: 1,
});

/** One test's own world: random topic prefix, consumer groups and Postgres schema. */
export interface World {
  cluster: ClusterAccess;
  prefix: string;
  schema: string;
  topics: ReturnType<typeof topicNames>;
  /** Settings every service shares (each service adds its own principal: `serviceEnv`). */
  env: Record<string, string>;
  /** The admin principal's client: tests create topics and ACLs and read every topic. */
  kafka: Kafka;
  db: Pool;
  /** Resolves once the world's topics exist, the services' ACLs on them are in place and its schema is migrated. */
  ready: Promise<void>;
  drop(): Promise<void>;
}

/** Consumer groups of the world's services (the service ACLs are granted on them). */
export function worldGroups(prefix: string) {
  return {
    scanner: `${prefix}scanner`,
    classifier: `${prefix}classifier`,
    actioner: `${prefix}actioner`,
    fetcher: `${prefix}fetcher`,
  };
}

/** `DATABASE_URL` naming another database of the same server (tests that fault their own database). */
export function databaseUrlFor(database: string): string {
  const url = new URL(DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export function createWorld(
  cluster: ClusterAccess = localCluster(),
  options: { databaseUrl?: string } = {},
): World {
  const databaseUrl = options.databaseUrl ?? DATABASE_URL;
  const id = randomUUID().slice(0, 8);
  const prefix = `t${id}.`;
  const schema = `e2e_${id}`;
  const groups = worldGroups(prefix);
  const env = {
    KAFKA_BROKERS: cluster.brokers,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    TOPIC_PREFIX: prefix,
    SCANNER_GROUP_ID: groups.scanner,
    CLASSIFIER_GROUP_ID: groups.classifier,
    ACTIONER_GROUP_ID: groups.actioner,
    FETCHER_GROUP_ID: groups.fetcher,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    HASH_THREADS: '2',
    OUTBOX_POLL_INTERVAL_MS: '50',
    MEDIA_RELAY_GRACE_MS: '500',
    PARTNER_TOPICS_REFRESH_MS: '300',
    API_PORT: '0',
  };
  const db = createPool({ connectionString: databaseUrl, schema, max: 3 });
  const kafka = createKafka({
    brokers: cluster.brokers.split(','),
    clientId: 'e2e',
    logger,
    credentials: credentialsFromEnvironment(undefined, cluster.env),
  });
  const acls = serviceAcls({ prefix, groups });
  // As an operator's `modctl kafka setup`, for this world's prefix; and the world's schema, migrated.
  const ready = Promise.all([
    ensureTopics(kafka, topicSpecs(prefix), { replicationFactor: cluster.replicationFactor }).then(() =>
      applyAcls(kafka, acls),
    ),
    migrate(db, schema),
  ]).then(() => undefined);
  ready.catch(() => undefined); // awaited by whoever needs it; an unawaited failure is not a crash
  return {
    cluster,
    prefix,
    schema,
    topics: topicNames(prefix),
    env,
    kafka,
    db,
    ready,
    async drop() {
      await dropSchema(db, schema);
      await removeAcls(kafka, acls).catch(() => undefined);
    },
  };
}

/** The services' own principals (the SCRAM users `deploy/local/kafka.sh` creates). */
export const SERVICE_PRINCIPALS = DefaultServicePrincipals;

/** A service's settings in this world: the shared ones plus its own Kafka principal, then `overrides`. */
export function serviceEnv(
  world: World,
  role: keyof typeof SERVICE_PRINCIPALS,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return { ...world.env, ...serviceEnvironment(SERVICE_PRINCIPALS[role], world.cluster.env), ...overrides };
}
