import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createPool } from '@mod/db';
import type { Producer } from '@mod/kafka';
import { createLogger, createRegistry } from '@mod/telemetry';
import { buildApp } from './app.js';

/**
 * Writes the API's OpenAPI document to a file, at build time: `node services/api/dist/write-openapi.js OUT`.
 * The document is what `GET /openapi.json` serves, generated from the route schemas, so the console's client
 * types (`services/console`, openapi-typescript) follow every route change and a change that breaks the console
 * breaks its build.
 *
 * Building the app registers the routes and runs no request, so nothing is reached: the pool is made for an
 * address that is never connected to (pg connects on the first query) and the producer refuses to send.
 */
async function writeOpenApi(out: string): Promise<void> {
  const db = createPool({ connectionString: 'postgres://openapi@127.0.0.1:1/openapi', max: 1 });
  const refuse = () => Promise.reject(new Error('the OpenAPI writer publishes nothing'));
  const producer: Producer = { send: refuse, sendBatch: refuse, disconnect: () => Promise.resolve() };
  const app = await buildApp({
    db,
    producer,
    topicPrefix: '',
    logger: createLogger('openapi', 'silent'),
    registry: createRegistry('openapi'),
    maxUploadBytes: 1,
  });
  try {
    await app.ready();
    const document = app.swagger();
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(document, null, 2)}\n`);
  } finally {
    await app.close();
    await db.end();
  }
}

const out = process.argv[2];
if (out === undefined || process.argv.length !== 3) {
  process.stderr.write('usage: node write-openapi.js OUT.json\n');
  process.exit(2);
}
await writeOpenApi(resolve(out));
