import { env } from './env.js';

/** Where the topics are: a prefix of every topic name (tests own theirs; '' in production). */
export const topicSpec = {
  TOPIC_PREFIX: env.string({ default: '', pattern: /^[a-zA-Z0-9._-]*$/, doc: 'prefix of every topic name' }),
} as const;

/** How a service reaches Kafka and who it is there: its own principal, authenticated with SCRAM over TLS. */
export const kafkaSpec = {
  KAFKA_BROKERS: env.list({ default: ['127.0.0.1:9092'], doc: 'Kafka bootstrap servers, comma-separated' }),
  KAFKA_CLIENT_ID: env.string({ default: 'moderation', doc: 'Kafka client id prefix' }),
  KAFKA_SASL_MECHANISM: env.oneOf(['scram-sha-512', 'scram-sha-256'], {
    default: 'scram-sha-512',
    doc: 'SASL mechanism the broker accepts',
  }),
  KAFKA_SASL_USERNAME: env.string({
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
    doc: "this service's own Kafka principal (SCRAM user); its ACLs say what it may read and write",
  }),
  KAFKA_SASL_PASSWORD: env.string({ secret: true, doc: "the principal's SCRAM password" }),
  KAFKA_TLS: env.boolean({
    default: true,
    doc: 'TLS to the broker (SASL_SSL); false only for SASL_PLAINTEXT',
  }),
  KAFKA_TLS_CA_PATH: env.string({
    default: '',
    doc: "PEM file of the CA that signed the broker's certificate (empty: the system's CAs)",
  }),
  KAFKA_GROUP_INSTANCE_ID: env.string({
    default: '',
    pattern: /^([A-Za-z0-9._-]{1,200})?$/,
    doc:
      "this instance's static membership id in its consumer groups (KIP-345): stable across restarts, unique " +
      'among live instances; a restarted instance gets its partitions back at once instead of after the ' +
      "session timeout. Empty: '<hostname>-<role>' (a Kubernetes pod's name); 'none': dynamic membership",
  }),
  KAFKA_SEND_DEADLINE_MS: env.milliseconds({
    default: 30_000,
    min: 1_000,
    max: 600_000,
    doc:
      'how long one publish may take (queued and retried) before its caller gets a retriable error ' +
      '(MOD_ERR_KAFKA_PRODUCE): a broker outage answers an upload 503, leaves an outbox row for later, a record uncommitted',
  }),
  ...topicSpec,
} as const;

/** Consumers of partners' own topics (scanner: platforms' media; fetcher: ISPs' observed URLs). */
export const partnerTopicsSpec = {
  PARTNER_TOPICS_REFRESH_MS: env.milliseconds({
    default: 30_000,
    min: 100,
    doc: "how often to look for partners' new topics (a partner granted Kafka access is consumed within this)",
  }),
} as const;

/**
 * Services whose consumer runners dead-letter bad input (`@mod/kafka`): a producer of one topic (a partner) can send
 * one small compressed batch of tens of thousands of bad records, each a dead letter of its own. Per source tenant
 * (across the partitions of its topic that one consumer owns; on our own topics, the tenant a record names), past this many within the
 * window, the rest of the window's are folded into one summary letter per source partition.
 */
export const deadLettersSpec = {
  DEAD_LETTERS_PER_SOURCE: env.integer({
    default: 100,
    min: 1,
    max: 1_000_000,
    doc: "dead letters written one by one per source tenant within DEAD_LETTERS_WINDOW_MS, by each consumer across the partitions of the tenant's topic it owns (on our own topics, the tenant the record's event names); the rest of the window are folded into one summary letter per partition (MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED)",
  }),
  DEAD_LETTERS_WINDOW_MS: env.milliseconds({
    default: 60_000,
    min: 100,
    doc: "the window of DEAD_LETTERS_PER_SOURCE, from a tenant's first dead letter; the summaries are written at its end (the folded records' offsets are committed then)",
  }),
} as const;

/**
 * Services that decode media in worker pools (scanner: hashing; classifier: models) and mark each decode under way
 * in PostgreSQL (`decode_marks`, migration 0053), so that media whose decode ends the whole process is counted as a
 * crash by the next one. The TTL's least (an hour) is past the lease's greatest (ten minutes), so a live process's
 * marks never expire.
 */
export const decodeMarksSpec = {
  DECODE_LEASE_MS: env.milliseconds({
    default: 30_000,
    min: 3_000,
    max: 600_000,
    doc: "how long a process's decode lease lasts unrenewed (renewed every third of it): another instance's mark counts as a crash only once its process's lease lapsed",
  }),
  DECODE_MARK_TTL_MS: env.milliseconds({
    default: 24 * 60 * 60 * 1000,
    min: 60 * 60 * 1000,
    doc: 'decode marks (and processes) older than this are ignored and deleted',
  }),
} as const;

/** Where PostgreSQL is. */
export const databaseSpec = {
  DATABASE_URL: env.url({
    default: 'postgres://moderation@127.0.0.1:5432/moderation',
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
    doc: 'PostgreSQL connection URL',
  }),
  DATABASE_SCHEMA: env.string({ default: 'public', pattern: /^[a-z_][a-z0-9_]*$/, doc: 'PostgreSQL schema' }),
} as const;

/**
 * Traces (OpenTelemetry): the W3C trace context always travels in Kafka headers and outbox rows; spans are
 * exported over OTLP/HTTP only when an endpoint is set (the standard variable names, so a collector's usual
 * settings apply).
 */
export const tracingSpec = {
  // Not a secret, so the start-up log prints it: credentials in it (user:password@, ?api_key=) are refused, and go
  // in OTEL_EXPORTER_OTLP_HEADERS, which is masked.
  OTEL_EXPORTER_OTLP_ENDPOINT: env.string({
    default: '',
    pattern: /^$|^https?:\/\/[^\s/?#@]+(\/[^\s?#@]*)?$/,
    doc: 'OTLP/HTTP collector base URL (spans go to <url>/v1/traces), without credentials or query; empty: traces are not exported',
  }),
  OTEL_EXPORTER_OTLP_HEADERS: env.string({
    default: '',
    secret: true,
    pattern: /^$|^[^=,\s]+=[^,]*(,[^=,\s]+=[^,]*)*$/,
    doc: "headers sent to the collector, 'name=value,name2=value2' (e.g. its authorization)",
  }),
  OTEL_SERVICE_NAME: env.string({
    default: '',
    pattern: /^[A-Za-z0-9._-]{0,100}$/,
    doc: "service.name of this service's spans (empty: the service's role, e.g. scanner)",
  }),
  OTEL_TRACES_SAMPLER_ARG: env.number({
    default: 1,
    min: 0,
    max: 1,
    doc: 'share of new traces sampled (a message or request that carries a sampled parent is always traced)',
  }),
} as const;

/** Settings every service shares: Kafka, Postgres, where to serve /metrics and /health, logs, traces, shutdown. */
export const commonSpec = {
  ...kafkaSpec,
  ...databaseSpec,
  ...tracingSpec,
  OPS_HOST: env.string({ default: '127.0.0.1', doc: 'address of the /metrics and /health server' }),
  OPS_PORT: env.integer({ default: 0, min: 0, max: 65535, doc: 'port of the /metrics and /health server' }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    doc: 'log level',
  }),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds({ default: 8000, min: 100, doc: 'graceful shutdown budget' }),
} as const;
