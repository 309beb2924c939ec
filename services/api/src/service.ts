import type { FastifyInstance } from 'fastify';
import { topicNames, topicSpecs } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import {
  createPool,
  createTreeHeadSigner,
  loadAuditKeys,
  migrate,
  pingDatabase,
  registerAuditPublicKeys,
  warmAuditProofCache,
  type TreeHeadSigner,
} from '@mod/db';
import { createKafka, createProducer, ensureTopics, pingKafka, type Admin, type Producer } from '@mod/kafka';
import type { Logger, Registry } from '@mod/telemetry';
import { buildApp } from './app.js';
import { splashSettingsFromConfig } from './routes/isp-splash.js';
import type { apiSpec } from './config.js';
import { tlsOptions } from './tls.js';

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
  let signer: TreeHeadSigner | undefined;
  const auditKeys = loadAuditKeys({
    signingKeyPem: config.MOD_AUDIT_SIGNING_KEY_PEM,
    trustedPublicKeysPem: config.AUDIT_TRUSTED_PUBLIC_KEYS_PEM,
  });
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
        urlListChangesTopic: topicNames(config.TOPIC_PREFIX).urlListChanges,
        logger,
        registry,
        checks: { database: () => pingDatabase(db), kafka: () => pingKafka(probe) },
        maxUploadBytes: config.MAX_UPLOAD_BYTES,
        splash: splashSettingsFromConfig(config),
        auditSigningKey: auditKeys.signing,
        ...apiLimitsFromConfig(config),
      });
      if (config.SPLASH_APPEAL_URL === '' && config.SPLASH_APPEAL_EMAIL.endsWith('.invalid'))
        logger.warn(
          'splash page: no real appeal address (set SPLASH_APPEAL_URL or SPLASH_APPEAL_EMAIL); blocked users cannot appeal',
        );
      await registerAuditPublicKeys(db, auditKeys.trusted);
      // The upper Merkle levels every proof shares, read once in the background (proofs also fill it).
      const warming = performance.now();
      warmAuditProofCache(db).then(
        (nodes) =>
          logger.info({ nodes, ms: Math.round(performance.now() - warming) }, 'audit proof cache warm'),
        (err: unknown) => logger.warn({ err }, 'audit proof cache not warmed; proofs will fill it'),
      );
      if (auditKeys.signing === null) {
        logger.warn(
          'audit tree-head signer off: MOD_AUDIT_SIGNING_KEY_PEM is not set (no signed heads, no exports)',
        );
      } else {
        signer = createTreeHeadSigner({
          pool: db,
          key: auditKeys.signing,
          schedule: { everyRecords: config.AUDIT_SIGN_EVERY_RECORDS, everyMs: config.AUDIT_SIGN_EVERY_MS },
          topic: topicNames(config.TOPIC_PREFIX).auditTreeHeads,
          logger,
        });
        signer.start();
      }
      return app;
    },
    async stop() {
      await app?.close();
      await signer?.stop();
      await producer?.disconnect();
      await admin?.disconnect();
      await db.end();
    },
  };
}

/** Body, deadline, rate and TLS settings of `buildApp` from the validated configuration. */
function apiLimitsFromConfig(config: ApiConfig) {
  const tls = tlsOptions({
    certPath: config.API_TLS_CERT_PATH,
    keyPath: config.API_TLS_KEY_PATH,
    clientCaPath: config.API_TLS_CLIENT_CA_PATH,
  });
  return {
    maxBodyBytes: config.API_MAX_BODY_BYTES,
    requestTimeoutMs: config.API_REQUEST_TIMEOUT_MS,
    rateLimit: { ratePerSecond: config.API_RATE_LIMIT_PER_S, burst: config.API_RATE_LIMIT_BURST },
    ...(tls === undefined ? {} : { tls }),
  };
}
