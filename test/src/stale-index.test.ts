import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { normalizeUrlOrThrow } from '@mod/urls';
import { indexedEntries, makePhoto, waitFor, waitScanned } from './helpers.js';
import { createUrlList } from './isp-helpers.js';
import { useTrustScene } from './trust-boundaries-scene.js';

/**
 * A curator's removal reaches the actioner before the scanners and fetchers: an entry removed (or its bank switched
 * off) while a worker's index still holds it, a scan in flight or an index behind its changes topic, is matched
 * there, and the actioner, which decides on the database's word, must not issue an order for it.
 */

const scene = useTrustScene({ fetcher: true });

/** Uploads `photo` as platform-a; asserts its verdict is recorded without hits and that it opened no order. */
async function expectNoOrder(photo: Buffer): Promise<void> {
  const res = await scene.upload('platform-a', photo);
  expect(res.statusCode).toBe(202);
  const id = res.json<{ submissionId: string }>().submissionId;
  await waitScanned(scene.world, 'the upload scanned', [id]);
  const row = await scene.world.db.query<{ decision: string; hits: unknown[] }>(
    `select s.decision, v.hits from submissions s join verdicts v on v.submission_id = s.id where s.id = $1`,
    [id],
  );
  expect(row.rows.map((r) => [r.decision, r.hits])).toEqual([['no-match', []]]);
  expect(
    await scene.countRows(
      `select count(*)::int as n from orders o join order_submissions s on s.order_id = o.id
       where s.submission_id = $1`,
      [id],
    ),
  ).toBe(0);
}

/**
 * A new photo (`makePhoto(seed)`) listed by its sha256 (of `category`, when given) in a new automatic bank `name`,
 * once the scanner has applied it: its index holds `indexed` entries (this file's so far, the new one with them).
 */
async function listedPhoto(
  seed: number,
  name: string,
  indexed: number,
  category?: string,
): Promise<{ photo: Buffer; bankId: string }> {
  const photo = await makePhoto(seed);
  const changes = scene.world.topics.bankChanges;
  const { bank } = await createBank(
    scene.world.db,
    { name, source: 'e2e', signalTypes: ['sha256'], actionPolicy: 'automatic' },
    changes,
  );
  const { sha256 } = await hashMedia(photo);
  await addEntries(scene.world.db, bank.id, [{ signal: 'sha256', value: sha256, category }], changes);
  await waitFor('the scanner to apply the bank', async () => indexedEntries(scene.pipeline) === indexed);
  return { photo, bankId: bank.id };
}

describe('an entry removed while a worker still matches it', () => {
  it('issues no order for content whose bank entry was removed after the scanner indexed it', async () => {
    // Removed in the database, not yet in the scanner's index (its change not applied yet).
    await scene.world.db.query(`update bank_entries set removed_at = now() where removed_at is null`);
    await expectNoOrder(scene.known);
  });

  it('issues no order for content of a bank switched off after the scanner indexed it', async () => {
    const { photo, bankId } = await listedPhoto(77, 'switched-off', 2);
    await scene.world.db.query(`update banks set enabled = false where id = $1`, [bankId]);
    await expectNoOrder(photo);
  });

  it('acts on a hit on an entry removed and listed again, as a hit on the entry listing it now', async () => {
    const { photo, bankId } = await listedPhoto(78, 'relisted', 3, 'A');
    // Removed and listed again in the database (a new entry), neither change in the scanner's index yet.
    const relisted = await scene.world.db.query<{ id: string }>(
      `with gone as (update bank_entries set removed_at = now() where bank_id = $1 and removed_at is null
         returning bank_id, signal, value, category)
       insert into bank_entries (bank_id, signal, value, category) select * from gone returning id::text`,
      [bankId],
    );
    const res = await scene.upload('platform-a', photo);
    const id = res.json<{ submissionId: string }>().submissionId;
    await waitScanned(scene.world, 'the upload scanned', [id]);
    const row = await scene.world.db.query<{ decision: string; hits: { entryId: string }[] }>(
      `select s.decision, v.hits from submissions s join verdicts v on v.submission_id = s.id where s.id = $1`,
      [id],
    );
    expect(row.rows.map((r) => [r.decision, r.hits.map((h) => h.entryId)])).toEqual([
      ['match', [relisted.rows[0]?.id]],
    ]);
    await waitFor(
      'its orders',
      async () =>
        (await scene.countRows(`select count(*)::int as n from order_submissions where submission_id = $1`, [
          id,
        ])) > 0,
    );
  });

  it('issues no blocking request for a URL whose list entry was removed after the fetcher indexed it', async () => {
    const url = `http://stale-${randomUUID().slice(0, 8)}.example/page.html`;
    await createUrlList(scene.world, `stale-${randomUUID().slice(0, 6)}`, [
      { kind: 'url', pattern: url, dedicatedToAbuse: false, block: true },
    ]);
    await waitFor(
      'the fetcher to know the entry',
      async () => scene.fetcher.service.urlLists.index().match(normalizeUrlOrThrow(url)).length > 0,
    );
    await scene.world.db.query(
      `update url_list_entries set removed_at = now() where pattern like $1 and removed_at is null`,
      [`%${url.slice('http://'.length)}%`],
    );
    const observed = await scene.inject('isp-1', {
      method: 'POST',
      url: '/v1/isp/traffic-samples',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ url })}\n`,
    });
    expect(observed.statusCode).toBe(202);
    await waitFor(
      'the listed verdict recorded',
      async () =>
        (await scene.countRows(
          `select count(*)::int as n from verdicts v join submissions s on s.id = v.submission_id
           where s.url = $1`,
          [url],
        )) > 0,
    );
    expect(
      await scene.countRows(`select count(*)::int as n from orders where subject_value = $1`, [url]),
    ).toBe(0);
  });
});
