import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code (packages/*/src, services/*/src); cross-service tests live in test/.
// Both run against the compiled workspace packages (`pnpm build` first), because piscina workers load
// compiled task files.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/src/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration tests share one broker and one Postgres; each owns its topics and schema,
          // but running them one file at a time keeps the 2-core machine predictable.
          fileParallelism: false,
        },
      },
    ],
  },
});
