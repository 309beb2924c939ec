import { describe, expect, it } from 'vitest';
import { findSubjectSubmission, findSubmissions } from './domains/reports.js';
import {
  claimSubmission,
  markSubmissionFailed,
  markSubmissionScanned,
  recordEmbeddedSubmissions,
} from './domains/submissions.js';
import { db, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'hotline-1': 'hotline' });

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const claim = (n: number, url: string) =>
  claimSubmission(db.pool, { id: id(n), tenantId: 'hotline-1', source: 'fetcher', url, sha256: null });

describe("a crawled page's embedded submissions", () => {
  it('are recorded on the page, kept across deliveries in first order, and found in that order', async () => {
    await claim(1, 'https://p.example/post');
    await markSubmissionFailed(db.pool, { id: id(1), tenantId: 'hotline-1' }, 'MOD_ERR_FETCH_NOT_MEDIA');
    await recordEmbeddedSubmissions(db.pool, { id: id(1), tenantId: 'hotline-1' }, [id(3), id(2)], 7, {
      [id(3)]: 'css',
      [id(2)]: 'img',
    });
    // A second delivery got one more image through: added, the others kept where they were; the page showed fewer
    // images this time (it changed): the most any delivery found is kept.
    await recordEmbeddedSubmissions(db.pool, { id: id(1), tenantId: 'hotline-1' }, [id(3), id(4), id(2)], 5, {
      [id(3)]: 'frame',
      [id(4)]: 'frame',
    });
    // Another tenant cannot write to the page.
    await recordEmbeddedSubmissions(db.pool, { id: id(1), tenantId: 'other' }, [id(9)], 50);
    const page = await findSubjectSubmission(db.pool, [id(8), id(1)]);
    expect(page).toMatchObject({
      id: id(1),
      url: 'https://p.example/post',
      status: 'failed',
      failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
      embeddedSubmissionIds: [id(3), id(2), id(4)],
      embeddedImagesShown: 7,
      // Where each image comes from: the first delivery's word kept, the new image's added.
      embeddedImageSources: { [id(3)]: 'css', [id(2)]: 'img', [id(4)]: 'frame' },
    });
    await claim(2, 'https://p.example/b.jpg');
    await claim(3, 'https://p.example/a.jpg');
    const images = await findSubmissions(db.pool, page!.embeddedSubmissionIds);
    expect(
      images.map((s) => [s.id, s.url, s.status, s.embeddedSubmissionIds, s.embeddedImagesShown]),
    ).toEqual([
      [id(3), 'https://p.example/a.jpg', 'received', [], null],
      [id(2), 'https://p.example/b.jpg', 'received', [], null],
    ]);
    expect(await findSubmissions(db.pool, [])).toEqual([]);
  });

  it('are never recorded on a submission that was media (a redelivery that found a page at the same URL)', async () => {
    // The first delivery fetched an image: scanned, matched. The server then answered the redelivery with a page.
    await claim(5, 'https://flip.example/x');
    await markSubmissionScanned(db.pool, {
      id: id(5),
      tenantId: 'hotline-1',
      decision: 'match',
      scannedAt: new Date().toISOString(),
      sha256: 'ab'.repeat(32),
    });
    await markSubmissionFailed(db.pool, { id: id(5), tenantId: 'hotline-1' }, 'MOD_ERR_FETCH_NOT_MEDIA');
    await recordEmbeddedSubmissions(db.pool, { id: id(5), tenantId: 'hotline-1' }, [id(6)]);
    // The router follows the media's own scan and orders, not the page's images.
    expect(await findSubjectSubmission(db.pool, [id(5)])).toMatchObject({
      status: 'scanned',
      decision: 'match',
      embeddedSubmissionIds: [],
    });
  });
});
