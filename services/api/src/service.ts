import type { FastifyInstance } from 'fastify';
import { topicNames } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import { createPool, migrate, pingDatabase } from '@mod/db';
import {
  auditLogId,
  createTreeHeadSigner,
  loadAuditKeys,
  registerAuditPublicKeys,
  warmAuditProofCache,
  type TreeHeadSigner,
} from '@mod/db/audit';
import { relayOutbox } from '@mod/db/outbox';
import { deletePublishedMedia, relayMediaOutbox, type PendingMedia } from '@mod/db/submissions';
import {
  closeKafka,
  createProducer,
  createRelayLoop,
  createServiceKafka,
  largestMediaBytes,
  pingKafka,
  publishMedia,
  publishOutboxRows,
  requireTopics,
  topicMaxMessageBytes,
  type Producer,
  type RelayLoop,
} from '@mod/kafka';
import {
  createReadiness,
  tracingFromConfig,
  type Logger,
  type Readiness,
  type Registry,
  type Tracing,
} from '@mod/telemetry';
import { policyFromConfig } from '@mod/policy';
import { reviewFromConfig } from '@mod/review';
import { keyringFromConfig, retentionFromConfig } from '@mod/vault';
import { buildApp } from './app.js';
import {
  createAuditTextRetentionMetrics,
  createAuditTextRetentionPass,
  type AuditTextRetentionPass,
} from './audit-text-retention.js';
import { peopleSettingsFromConfig } from './people-config.js';
import { lastPublishedTreeHead } from './published-tree-head.js';
import { registerRefusedHeadMetric } from './routes/audit-metrics.js';
import { applyContactRetention } from './reports/retention.js';
import { reportSettingsFromConfig } from './reports/settings.js';
import { splashSettingsFromConfig } from './routes/isp-splash.js';
import { createMediaDispatcher, type MediaDispatcher } from './media-dispatch.js';
import { registerOutboxGauge } from './outbox-gauge.js';
import { API_MEDIA_META_MAX_BYTES } from './routes/media.js';
import type { apiSpec } from './config.js';
import { tlsOptions } from './tls.js';

export type ApiConfig = ConfigOf<typeof apiSpec>;

export interface ApiService {
  /** Migrates, connects and builds the app (not listening). */
  start(): Promise<FastifyInstance>;
  stop(): Promise<void>;
  /**
   * Its checks (database, kafka), one run at a time: the ops server's (`createOpsServer({ registry, readiness })`,
   * on OPS_HOST:OPS_PORT, with `/metrics`) and, up or down only, the public port's `/health/ready`.
   */
  readiness: Readiness;
}

export interface ApiServiceOptions {
  /** Where spans go (tests: an in-memory exporter). Default: from the environment (OTEL_*). */
  tracing?: Tracing;
}

export function createApiService(
  config: ApiConfig,
  logger: Logger,
  registry: Registry,
  options: ApiServiceOptions = {},
): ApiService {
  const kafka = createServiceKafka(config, 'api', logger);
  const tracing = options.tracing ?? tracingFromConfig(config, 'api', logger);
  const topics = topicNames(config.TOPIC_PREFIX);
  const db = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    max: 10,
    applicationName: 'api',
  });
  let producer: Producer | undefined;
  let app: FastifyInstance | undefined;
  let signer: TreeHeadSigner | undefined;
  let relay: RelayLoop | undefined;
  let dispatcher: MediaDispatcher | undefined;
  let textRetention: AuditTextRetentionPass | undefined;
  let stopping = false;
  const auditKeys = loadAuditKeys({
    signingKeyPem: config.MOD_AUDIT_SIGNING_KEY_PEM,
    trustedPublicKeysPem: config.AUDIT_TRUSTED_PUBLIC_KEYS_PEM,
  });
  // Checked at start-up: a key configured twice is refused (MOD_ERR_VAULT_KEY_MATERIAL).
  const vaultKeys = keyringFromConfig(config);
  const readiness = createReadiness({
    checks: { database: () => pingDatabase(db), kafka: () => pingKafka(kafka) },
  });
  return {
    readiness,
    async start() {
      await migrate(db, config.DATABASE_SCHEMA);
      const reports = reportSettingsFromConfig(config);
      // A shorter retention than before applies to contact details already stored too.
      await applyContactRetention(db, reports.contactRetentionDays, logger);
      // The API writes intake, curation and tree heads; the operator creates the topics (`modctl kafka setup`).
      const written = [
        topics.mediaSubmitted,
        topics.urlObserved,
        topics.bankChanges,
        topics.urlListChanges,
        topics.auditTreeHeads,
      ];
      await requireTopics(kafka, written);
      const maxMessageBytes = await topicMaxMessageBytes(kafka, topics.mediaSubmitted);
      const maxUploadBytes = maxUploadBytesFor(config, maxMessageBytes, logger);
      const p = await createProducer(kafka, { sendDeadlineMs: config.KAFKA_SEND_DEADLINE_MS });
      producer = p;
      // Intake media: published from memory right after their commit; what that misses, the relay publishes.
      const publish = (messages: PendingMedia[]) => publishMedia(p, messages, maxMessageBytes);
      const media = createMediaDispatcher({
        publish,
        remove: (ids) => deletePublishedMedia(db, ids),
        logger,
      });
      dispatcher = media;
      // Curation changes, tree heads and reported URLs committed with their state; intake media left to the relay.
      const relayed = {
        topics: [topics.bankChanges, topics.urlListChanges, topics.auditTreeHeads, topics.urlObserved],
      };
      const loop = createRelayLoop({
        name: 'api',
        logger,
        intervalMs: config.OUTBOX_POLL_INTERVAL_MS,
        once: async () =>
          (await relayMediaOutbox(db, publish, { minAgeMs: stopping ? 0 : config.MEDIA_RELAY_GRACE_MS })) +
          (await relayOutbox(db, (messages) => publishOutboxRows(p, messages, tracing.tracer), 100, relayed)),
      });
      relay = loop;
      registerOutboxGauge(registry, db, relayed);
      app = await buildApp({
        db,
        producer: p,
        topicPrefix: config.TOPIC_PREFIX,
        dispatchMedia: (m) => media.dispatch(m),
        maxPendingMedia: config.MEDIA_OUTBOX_MAX_PENDING,
        logger,
        registry,
        tracer: tracing.tracer,
        readiness,
        maxUploadBytes,
        splash: splashSettingsFromConfig(config),
        auditSigningKey: auditKeys.signing,
        auditTrustedKeys: auditKeys.trusted,
        people: peopleSettingsFromConfig(config),
        reports,
        evidenceVault: { keyring: vaultKeys, retention: retentionFromConfig(config) },
        review: { policy: policyFromConfig(config), ...reviewFromConfig(config) },
        ...apiLimitsFromConfig(config),
      });
      if (config.SPLASH_APPEAL_URL === '' && config.SPLASH_APPEAL_EMAIL.endsWith('.invalid'))
        logger.warn(
          'splash page: no real appeal address (set SPLASH_APPEAL_URL or SPLASH_APPEAL_EMAIL); blocked users cannot appeal',
        );
      await registerAuditPublicKeys(db, auditKeys.trusted);
      // The upper Merkle levels every proof shares, read once in the background (proofs also fill it).
      const warming = performance.now();
      warmAuditProofCache(db, auditKeys.trusted).then(
        (nodes) =>
          logger.info({ nodes, ms: Math.round(performance.now() - warming) }, 'audit proof cache warm'),
        (err: unknown) => logger.warn({ err }, 'audit proof cache not warmed; proofs will fill it'),
      );
      if (config.MOD_PEOPLE_SECRET_KEY === '')
        logger.warn(
          'staff accounts off: MOD_PEOPLE_SECRET_KEY is not set (people cannot sign in; API keys work)',
        );
      if (auditKeys.signing === null) {
        logger.warn(
          'audit tree-head signer off: MOD_AUDIT_SIGNING_KEY_PEM is not set (no signed heads, no exports)',
        );
      } else {
        // The log must extend the last head published too, whatever the database holds now.
        // Only this log's heads: one of another log under the same key (a shared or restored topic) is refused.
        const countRefused = registerRefusedHeadMetric(registry);
        const previous = await lastPublishedTreeHead(kafka, topics.auditTreeHeads, {
          trusted: auditKeys.trusted,
          logId: await auditLogId(db),
          logger,
          report: (refused) => {
            countRefused(refused);
            logger.warn({ refused }, 'published audit tree head refused: not a head of this log');
          },
        });
        signer = createTreeHeadSigner({
          pool: db,
          key: auditKeys.signing,
          trusted: auditKeys.trusted,
          schedule: { everyRecords: config.AUDIT_SIGN_EVERY_RECORDS, everyMs: config.AUDIT_SIGN_EVERY_MS },
          topic: topics.auditTreeHeads,
          logger,
          previous,
        });
        // Right after a rotation this first tick signs the current size with the new key, before any export is
        // served (an export's scope is signed by the key of the head it proves against: see signTreeHeadIfDue).
        await signer
          .tick()
          .catch((err: unknown) =>
            logger.warn({ err }, 'audit tree head not signed at start-up; will retry'),
          );
        signer.start();
      }
      // Audit reasons past their retention, erased on record by one replica at a time.
      textRetention = createAuditTextRetentionPass({
        db,
        logger,
        metrics: createAuditTextRetentionMetrics(registry),
        retentionDays: config.AUDIT_TEXT_RETENTION_DAYS,
        batchSize: config.AUDIT_TEXT_ERASE_BATCH,
        intervalMs: config.AUDIT_TEXT_RETENTION_INTERVAL_MS,
      });
      textRetention.start();
      loop.start();
      return app;
    },
    async stop() {
      await app?.close();
      await textRetention?.stop();
      await signer?.stop();
      // Whatever was committed and can still be published leaves now; the rest waits in the outbox.
      stopping = true;
      await dispatcher?.drain();
      await relay?.stop();
      await relay?.drain().catch((err: unknown) => logger.warn({ err }, 'outbox not drained at shutdown'));
      await producer?.disconnect();
      await closeKafka(kafka);
      await db.end();
      await tracing.shutdown();
    },
  };
}

/**
 * The largest upload: what a media message may carry on the media topic (`largestMediaBytes`: its
 * `max.message.bytes` less the key, the API's event header at its largest and the record overhead), or
 * MAX_UPLOAD_BYTES when that is smaller. An upload the API accepts is always one the broker accepts.
 */
function maxUploadBytesFor(config: ApiConfig, maxMessageBytes: number, logger: Logger): number {
  const fits = largestMediaBytes(maxMessageBytes, API_MEDIA_META_MAX_BYTES);
  const maxUploadBytes = Math.min(config.MAX_UPLOAD_BYTES, fits);
  if (fits < config.MAX_UPLOAD_BYTES)
    logger.warn(
      { maxUploadBytes, configured: config.MAX_UPLOAD_BYTES },
      "MAX_UPLOAD_BYTES is over what the media topic's max.message.bytes can carry; uploads are limited to what fits",
    );
  else logger.info({ maxUploadBytes }, 'largest upload');
  return maxUploadBytes;
}

/** Body, deadline, rate, client-address and TLS settings of `buildApp` from the validated configuration. */
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
    authFailureLimit: { ratePerSecond: config.API_AUTH_FAILURE_PER_S, burst: config.API_AUTH_FAILURE_BURST },
    trustedProxies: config.API_TRUSTED_PROXIES,
    ispTrafficQuota: {
      linesPerHour: config.ISP_TRAFFIC_LINES_PER_HOUR,
      burst: config.ISP_TRAFFIC_LINES_BURST,
    },
    ...(tls === undefined ? {} : { tls }),
  };
}
