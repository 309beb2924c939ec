import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

// Tests reach the broker as its admin principal (they create their own topics and ACLs) and start services under
// the services' own principals. The credentials are those `deploy/local/kafka.sh` made; `deploy/local/test.sh`
// exports them, and a plain `pnpm test` after `deploy/local/up.sh` finds them here.
const dataDir = process.env['MOD_DATA_DIR'] ?? fileURLToPath(new URL('./.data', import.meta.url));
const credentialsDir = process.env['MOD_KAFKA_CREDENTIALS_DIR'] ?? `${dataDir}/kafka-credentials`;
const kafkaEnv: Record<string, string> = {};
if (process.env['KAFKA_SASL_USERNAME'] === undefined && existsSync(`${credentialsDir}/admin.env`)) {
  for (const line of readFileSync(`${credentialsDir}/admin.env`, 'utf8').split('\n')) {
    const m = /^(KAFKA_SASL_USERNAME|KAFKA_SASL_PASSWORD)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) kafkaEnv[m[1]] = m[2];
  }
  kafkaEnv['MOD_KAFKA_CREDENTIALS_DIR'] = credentialsDir;
  if (process.env['KAFKA_TLS_CA_PATH'] === undefined)
    kafkaEnv['KAFKA_TLS_CA_PATH'] = `${dataDir}/kafka-tls/ca.pem`;
}

// Vitest keeps modules it transformed on disk (node_modules/.vitest-cache), keyed by their own text and the config,
// each with the installed paths its imports resolved to. It drops them when the lockfile changes, but only as a run
// starts: a run under way while `pnpm install` changed a patch (another @platformatic/kafka patch hash) kept writing
// modules that import the old copy, and every later run took them (the src tests of packages/kafka ran against the
// old patch, without Message.joins nor CommitOptions.member). The dependencies installed when this process read its
// config (node_modules/.pnpm/lock.yaml, which pnpm writes last, patch hashes included) are part of every key.
const installed = fileURLToPath(new URL('./node_modules/.pnpm/lock.yaml', import.meta.url));
const installedKey = existsSync(installed)
  ? createHash('sha256').update(readFileSync(installed)).digest('hex')
  : 'none';
const installedDependencies: Plugin = {
  name: 'mod:installed-dependencies-cache-key',
  configureVitest({ defineCacheKeyGenerator }) {
    defineCacheKeyGenerator(() => installedKey);
  },
};

// Unit tests sit next to the code (packages/*/src, services/*/src); cross-service tests live in test/.
// Both run against the compiled workspace packages (`pnpm build` first), because piscina workers load
// compiled task files.
export default defineConfig({
  plugins: [installedDependencies],
  test: {
    env: kafkaEnv,
    projects: [
      {
        plugins: [installedDependencies],
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          testTimeout: 30_000,
          env: kafkaEnv,
        },
      },
      {
        plugins: [installedDependencies],
        test: {
          name: 'e2e',
          include: ['test/src/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // expect.poll waits for what a page or a worker will show: a bound on the wait, not on speed. Its default
          // (1 s) ran out on a loaded 2-core machine while Chromium was still rendering the answer.
          expect: { poll: { timeout: 15_000 } },
          env: kafkaEnv,
          // Partner principals the trust-boundary tests bind to their tenants (SCRAM users on the broker).
          globalSetup: ['test/src/global-setup.ts'],
          // Integration tests share one broker and one Postgres; each owns its topics and schema,
          // but running them one file at a time keeps the 2-core machine predictable.
          fileParallelism: false,
        },
      },
    ],
  },
});
