import { writeFile } from 'node:fs/promises';
import { databaseSpec, env, loadConfig, topicSpec } from '@mod/config';
import { topicNames } from '@mod/contracts';
import { createPool, migrate } from '@mod/db';
import { createLogger } from '@mod/telemetry';
import { feedItem, upload } from './feed.js';
import { seedDemo } from './seed.js';

const spec = {
  ...databaseSpec,
  ...topicSpec,
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    doc: 'log level',
  }),
  API_URL: env.url({
    default: 'http://127.0.0.1:8080',
    protocols: ['http:', 'https:'],
    doc: 'where the API listens',
  }),
  DEMO_INTERVAL_MS: env.milliseconds({ default: 2000, min: 50, doc: 'time between demo uploads' }),
  DEMO_ROUNDS: env.integer({ default: 0, min: 0, doc: 'uploads to make; 0 = until stopped' }),
  DEMO_KEYS_FILE: env.string({ default: '.data/demo-keys.json', doc: 'where the demo API keys are written' }),
} as const;

const config = loadConfig(spec, process.env);
const logger = createLogger('demo', config.LOG_LEVEL);
const db = createPool({ connectionString: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 2 });
await migrate(db, config.DATABASE_SCHEMA);
const { keys, bankEntries } = await seedDemo(db, topicNames(config.TOPIC_PREFIX).bankChanges);
await db.end();
await writeFile(config.DEMO_KEYS_FILE, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
logger.info({ bankEntries, keysFile: config.DEMO_KEYS_FILE }, 'demo seeded');

let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true));

for (let n = 0; !stopping && (config.DEMO_ROUNDS === 0 || n < config.DEMO_ROUNDS); n++) {
  const item = await feedItem(n);
  try {
    const { status, body } = await upload(config.API_URL, keys.platform, item, n);
    logger.info(
      { n, kind: item.kind, status, submissionId: (body as { submissionId?: string }).submissionId },
      'uploaded',
    );
  } catch (err) {
    logger.warn({ err, n }, 'upload failed');
  }
  await new Promise((r) => setTimeout(r, config.DEMO_INTERVAL_MS));
}
