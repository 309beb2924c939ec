import { env } from './env.js';

/** Settings every service shares: where Kafka and Postgres are, where to serve /metrics and /health. */
export const commonSpec = {
  KAFKA_BROKERS: env.list({ default: ['127.0.0.1:9092'], doc: 'Kafka bootstrap servers, comma-separated' }),
  KAFKA_CLIENT_ID: env.string({ default: 'moderation', doc: 'Kafka client id prefix' }),
  TOPIC_PREFIX: env.string({ default: '', pattern: /^[a-zA-Z0-9._-]*$/, doc: 'prefix of every topic name' }),
  DATABASE_URL: env.url({
    default: 'postgres://moderation@127.0.0.1:5432/moderation',
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
    doc: 'PostgreSQL connection URL',
  }),
  DATABASE_SCHEMA: env.string({ default: 'public', pattern: /^[a-z_][a-z0-9_]*$/, doc: 'PostgreSQL schema' }),
  OPS_HOST: env.string({ default: '127.0.0.1', doc: 'address of the /metrics and /health server' }),
  OPS_PORT: env.integer({ default: 0, min: 0, max: 65535, doc: 'port of the /metrics and /health server' }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    doc: 'log level',
  }),
  SHUTDOWN_TIMEOUT_MS: env.integer({ default: 8000, min: 100, doc: 'graceful shutdown budget' }),
} as const;
