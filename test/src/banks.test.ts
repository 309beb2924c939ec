import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '@mod/contracts';
import { createBank, importBankList, updateBankSettings } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { seedTenants, tenantWithKey } from '@mod/testing';
import { indexedEntries, makePhoto, scanViaKafka, startPipeline, waitFor, type Pipeline } from './helpers.js';
import { partner, usePlatformWorld, world } from './file-world.js';

usePlatformWorld();
// The file's own pipeline: a test restarts it to see the scanner load its bank snapshot.
let pipeline: Pipeline;
let snapshotPath: string;

beforeAll(async () => {
  snapshotPath = join(await mkdtemp(join(tmpdir(), 'mod-bank-')), 'index.bin');
  pipeline = await startPipeline(world, { BANK_SNAPSHOT_PATH: snapshotPath });
  await seedTenants(world.db, [{ id: 'isp-1', kind: 'isp' }]);
});
afterAll(async () => {
  await pipeline?.stop();
  // The snapshot is a copy of the banks: it does not outlive the test.
  await rm(dirname(snapshotPath), { recursive: true, force: true });
});

const scan = (bytes: Buffer): Promise<Verdict> => scanViaKafka(world, partner, bytes);

async function timed(what: string, cond: () => boolean): Promise<number> {
  const started = Date.now();
  await waitFor(what, async () => cond(), 30_000);
  const ms = Date.now() - started;
  console.log(`[banks] ${what}: ${ms} ms`);
  return ms;
}

/** Imports a CSV list into the bank `iwf-test` (`mode` as `importBankList`'s), announced on the world's topic. */
const importIwf = (list: string, mode?: 'append') =>
  importBankList(world.db, {
    bankName: 'iwf-test',
    format: 'csv',
    ...(mode === undefined ? {} : { mode }),
    input: Readable.from([list]),
    changesTopic: world.topics.bankChanges,
  });

describe('banks through real Kafka and Postgres', () => {
  it('imports a list, matches, removes the entry, no longer matches; changes reach the scanner without restart', async () => {
    const changes = world.topics.bankChanges;
    const photo = await makePhoto(42);
    const other = await makePhoto(43);
    const h = await hashMedia(photo);
    const { bank } = await createBank(
      world.db,
      {
        name: 'iwf-test',
        source: 'e2e',
        signalTypes: ['pdq', 'md5'],
        actionPolicy: 'automatic',
        categoryScheme: 'IWF A/B/C',
      },
      changes,
    );
    const list = `signal,value,quality,category\npdq,${h.pdq},${h.pdqQuality},B\nmd5,${'0'.repeat(32)},,C\n`;
    const report = await importIwf(list);
    expect(report).toMatchObject({ added: 2, removed: 0, badLines: 0 });
    await timed('import applied by the scanner', () => indexedEntries(pipeline) === 2);

    const hit = await scan(photo);
    expect(hit.decision).toBe('match');
    expect(hit.hits).toEqual([
      expect.objectContaining({
        bankName: 'iwf-test',
        signal: 'pdq',
        distance: 0,
        category: 'B',
        actionPolicy: 'automatic',
      }),
    ]);
    expect((await scan(other)).decision).toBe('no-match');

    // Remove the PDQ entry by importing the list without it (replace mode).
    const smaller = `signal,value\nmd5,${'0'.repeat(32)}\n`;
    const removal = await importIwf(smaller);
    expect(removal).toMatchObject({ added: 0, removed: 1, unchanged: 1 });
    await timed('removal applied by the scanner', () => indexedEntries(pipeline) === 1);
    expect((await scan(photo)).decision).toBe('no-match');

    // Disable and re-enable the bank: a settings change, also live.
    const again = await importIwf(list);
    expect(again.added).toBe(1);
    await timed('re-added entry applied', () => indexedEntries(pipeline) === 2);
    await updateBankSettings(world.db, bank.id, { enabled: false }, changes);
    await timed('disable applied', () => pipeline.scanner.banks.matcher().bank(bank.id)?.enabled === false);
    expect((await scan(photo)).decision).toBe('no-match');
    await updateBankSettings(world.db, bank.id, { enabled: true }, changes);
    await timed('enable applied', () => pipeline.scanner.banks.matcher().bank(bank.id)?.enabled === true);
    expect((await scan(photo)).decision).toBe('match');
  });

  it('a restarted scanner starts from its snapshot plus the topic, and sees changes made while it was down', async () => {
    await pipeline.stop(); // writes the snapshot
    // Every bank's hashes (licensed known-abuse lists among them) and their names: the scanner's alone to read,
    // whatever the process's umask (022 here, as on most hosts).
    for (const file of [snapshotPath, `${snapshotPath}.json`])
      expect((await stat(file)).mode & 0o777, file).toBe(0o600);
    const added = await makePhoto(77);
    const h = await hashMedia(added);
    const report = await importIwf(`pdq,${h.pdq},${h.pdqQuality},A\n`, 'append');
    expect(report.added).toBe(1);
    pipeline = await startPipeline(world, { BANK_SNAPSHOT_PATH: snapshotPath });
    expect(pipeline.scanner.banks.loadedFrom()).toBe('snapshot');
    await timed('snapshot + topic applied', () => indexedEntries(pipeline) === 3);
    expect((await scan(added)).decision).toBe('match');
  });

  it('curators manage banks over the API: create, import a list (bad lines reported), export, change settings', async () => {
    const curator = await tenantWithKey(world.db, { id: 'hotline', kind: 'hotline', role: 'curator' });
    const isp = await tenantWithKey(world.db, { id: 'isp-1', kind: 'isp', role: 'isp' });
    const auth = { authorization: `Bearer ${curator}` };
    const created = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/banks',
      headers: auth,
      payload: {
        name: 'api-bank',
        source: 'hotline reports',
        signalTypes: ['sha256'],
        actionPolicy: 'review',
      },
    });
    expect(created.statusCode).toBe(201);
    const bankId = created.json<{ id: string }>().id;
    const denied = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/banks',
      headers: { authorization: `Bearer ${isp}` },
      payload: {},
    });
    expect(denied.statusCode).toBe(403);

    const list = `sha256,${'1'.repeat(64)}\nsha256,${'2'.repeat(64)}\nsha256,xyz\n`;
    const imported = await pipeline.app.inject({
      method: 'POST',
      url: `/v1/banks/${bankId}/import?format=csv`,
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: list,
    });
    expect(imported.statusCode).toBe(200);
    expect(imported.json()).toMatchObject({
      added: 2,
      badLines: 1,
      lineErrors: [{ lineNumber: 3, code: 'MOD_ERR_MATCHER_LIST_BAD_HEX' }],
    });
    await timed('API import applied', () => pipeline.scanner.banks.matcher().stats().entries.sha256 >= 2);

    const exported = await pipeline.app.inject({
      url: `/v1/banks/${bankId}/export?format=csv`,
      headers: auth,
    });
    expect(exported.statusCode).toBe(200);
    expect(
      exported.body
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[1]),
    ).toEqual(['1'.repeat(64), '2'.repeat(64)]);

    const patched = await pipeline.app.inject({
      method: 'PATCH',
      url: `/v1/banks/${bankId}`,
      headers: auth,
      payload: { enabled: false },
    });
    expect(patched.json()).toMatchObject({ enabled: false });
    await timed(
      'API disable applied',
      () => pipeline.scanner.banks.matcher().bank(bankId)?.enabled === false,
    );
    const unknownField = await pipeline.app.inject({
      method: 'PATCH',
      url: `/v1/banks/${bankId}`,
      headers: auth,
      payload: { enabled: true, drop: 1 },
    });
    expect(unknownField.statusCode).toBe(400);
  });
  it('a bulk import reaches the scanner as one resync: it reloads that bank from PostgreSQL', async () => {
    const changes = world.topics.bankChanges;
    const { bank } = await createBank(
      world.db,
      { name: 'bulk-test', source: 'e2e', signalTypes: ['md5'], actionPolicy: 'review' },
      changes,
    );
    await timed(
      'new bank known to the scanner',
      () => pipeline.scanner.banks.matcher().bank(bank.id) !== undefined,
    );
    const before = indexedEntries(pipeline);
    const list = ['a', 'b', 'c', 'd'].map((c) => `md5,${c.repeat(32)}`).join('\n');
    const report = await importBankList(world.db, {
      bankId: bank.id,
      format: 'csv',
      input: Readable.from([list]),
      changesTopic: changes,
      bulkThreshold: 2,
    });
    expect(report).toMatchObject({ added: 4, resync: true });
    await timed('resync applied by the scanner', () => indexedEntries(pipeline) === before + 4);
  });
});
