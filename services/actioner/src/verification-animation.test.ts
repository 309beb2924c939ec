import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrder, openOrder, orderPerceptualHashes } from '@mod/db/orders';
import { recordVerdict } from '@mod/db/submissions';
import { hashMedia } from '@mod/hashing/decode';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { testOrder, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import {
  loopbackVerifier,
  platformActioned,
  platformTestSchema,
  testLifecycle,
} from './lifecycle.test-helper.js';
import { createVerificationHasher } from './verification-hasher.js';
import { verdictOf } from './verdicts.test-helper.js';

// A takedown of a photo the scanner matched; the platform says it actioned it and serves an animation whose first
// frame is another picture and whose second is the photo (the scanner hashes every distinct frame of a GIF or WebP,
// a hit on any one a match). Loopback HTTP, the real SSRF-safe fetcher, hashing worker pool and PostgreSQL.
const fixture = (name: string) =>
  readFileSync(new URL(`../../../packages/hashing/fixtures/pdq/${name}`, import.meta.url));
const photo = fixture('bridge-mods/aaa-orig.jpg');
const other = fixture('pen-and-coaster.png');
const served: Record<string, Buffer> = {};
let db: TestDatabase;
let site: Server;
const hasher = createVerificationHasher();
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await platformTestSchema();
  const size = { width: 320, height: 240 };
  served['/gif'] = await animationOf([other, photo], { format: 'gif', ...size });
  served['/webp'] = await animationOf([other, photo], { format: 'webp', ...size });
  served['/unrelated'] = await animationOf([other, other.subarray(0)], { format: 'gif', ...size });
  site = createServer((req, res) => {
    const body = served[(req.url ?? '').split('?')[0] ?? ''];
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'image/gif' }).end(body);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await hasher.close();
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

/** A takedown of the photo seen at `path` (its verdict holds the photo's hashes), answered actioned. */
async function takedownActioned(path: string): Promise<string> {
  const hashes = await hashMedia(photo);
  const submissionId = randomUUID();
  await recordVerdict(
    db.pool,
    verdictOf(submissionId, [], {
      tenantId: 'plat',
      hashes: {
        sha256: hashes.sha256,
        sha1: hashes.sha1,
        md5: hashes.md5,
        pdq: hashes.pdq,
        pdqQuality: hashes.pdqQuality,
        blockhash: hashes.blockhash,
      },
    }),
  );
  const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}${path}?${randomBytes(4).toString('hex')}`;
  const order = await openOrder(
    db.pool,
    testOrder({
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: url,
      targetTenantId: 'plat',
      verifyUrl: url,
      submissionId,
      evidence: { submissionId, sha256: hashes.sha256, hits: [], policyVersion: '1' },
    }),
  );
  await platformActioned(db.pool, clock, order.id);
  return order.id;
}

describe('verifying a takedown of a photo served again as a frame of an animation', () => {
  it('reopens it when any frame the scanner hashes is the photo, and verifies it when none is', async () => {
    const gif = await takedownActioned('/gif');
    const webp = await takedownActioned('/webp');
    const unrelated = await takedownActioned('/unrelated');
    const lifecycle = testLifecycle(db.pool, clock, {
      verifier: loopbackVerifier({
        stored: (orderId) => orderPerceptualHashes(db.pool, orderId),
        hash: hasher.hash,
      }),
    });
    expect(await lifecycle.runVerification()).toEqual({ verified: 1, reopened: 2 });
    const statusOf = async (id: string) => (await getOrder(db.pool, id, { all: true }))?.status;
    expect([await statusOf(gif), await statusOf(webp), await statusOf(unrelated)]).toEqual([
      'reopened',
      'reopened',
      'verified',
    ]);
    const note = (await getOrder(db.pool, gif, { all: true }))?.history.at(-1)?.note;
    expect(note).toMatch(/frame 1/);
  });
});
