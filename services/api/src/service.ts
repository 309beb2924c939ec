import type { FastifyInstance } from 'fastify';
import { topicNames, topicSpecs } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import { createPool, migrate, pingDatabase } from '@mod/db';
import { createKafka, createProducer, ensureTopics, pingKafka, type Admin, type Producer } from '@mod/kafka';
import type { Logger, Registry } from '@mod/telemetry';
import { buildApp } from './app.js';
import type { apiSpec } from './config.js';

export type ApiConfig = ConfigOf<typeof apiSpec>;

export interface ApiService {
  /** Migrates, connects and builds the app (not listening). */
  start(): Promise<FastifyInstance>;
  stop(): Promise<void>;
}

export function createApiService(config: ApiConfig, logger: Logger, registry: Registry): ApiService {
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-api`,
    logger,
  });
  const db = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    max: 10,
    applicationName: 'api',
  });
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let app: FastifyInstance | undefined;
  return {
    async start() {
      await migrate(db, config.DATABASE_SCHEMA);
      await ensureTopics(kafka, topicSpecs(config.TOPIC_PREFIX));
      producer = await createProducer(kafka);
      admin = kafka.admin();
      await admin.connect();
      const probe = admin;
      app = await buildApp({
        db,
        producer,
        mediaTopic: topicNames(config.TOPIC_PREFIX).mediaSubmitted,
        bankChangesTopic: topicNames(config.TOPIC_PREFIX).bankChanges,
        logger,
        registry,
        checks: { database: () => pingDatabase(db), kafka: () => pingKafka(probe) },
        maxUploadBytes: config.MAX_UPLOAD_BYTES,
      });
      return app;
    },
    async stop() {
      await app?.close();
      await producer?.disconnect();
      await admin?.disconnect();
      await db.end();
    },
  };
}
