import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrder } from '@mod/db/orders';
import { recordVerdict } from '@mod/db/submissions';
import { hashMedia } from '@mod/hashing/decode';
import { interlaced16BitBomb, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import { platformTestSchema } from './lifecycle.test-helper.js';
import { createVerificationHasher } from './verification-hasher.js';
import { verdictOf } from './verdicts.test-helper.js';
import { perceptualLifecycle, verdictTakedownActioned } from './image-takedown.test-helper.js';

// A takedown of an image the scanner matched (its verdict keeps the image's PDQ); the platform says it actioned it and
// goes on serving the same picture with other bytes. Verification re-fetches it over loopback through the real
// SSRF-safe fetcher, hashes it in @mod/hashing's worker pool and reads PostgreSQL. Real photos: ThreatExchange's
// bridge (and one of its edits, re-saved smaller) and an unrelated photo (packages/hashing/fixtures/SOURCES.md).
const fixture = (name: string) =>
  readFileSync(new URL(`../../../packages/hashing/fixtures/pdq/${name}`, import.meta.url));
const bridge = fixture('bridge-mods/aaa-orig.jpg');
const served: Record<string, Buffer> = {
  '/appended': Buffer.concat([bridge, Buffer.from([0x0a])]),
  '/resaved': fixture('bridge-mods/shrink-a-little.jpg'),
  '/other': fixture('pen-and-coaster.png'),
  // A decompression bomb's header (10000×10000 16-bit RGBA, interlaced: 1.2 GB to decode), refused before decoding.
  '/bomb': interlaced16BitBomb(),
};
// The same photo mirrored, turned and letterboxed (150 px of black each side): PDQ distances 130, 122 and 130 from
// the photo's, none within 31 but of a rotation, flip or the trimmed content; blockhash 80, 120, 86 of 256 bits.
const variants = {
  '/mirrored': (s: sharp.Sharp) => s.flop().jpeg(),
  '/turned': (s: sharp.Sharp) => s.rotate(90).jpeg(),
  '/upside-down': (s: sharp.Sharp) => s.rotate(180).png(),
  '/letterboxed': (s: sharp.Sharp) =>
    s.extend({ top: 150, bottom: 150, left: 150, right: 150, background: '#000000' }).jpeg(),
};
// The photo itself in a document a browser shows it in: an SVG and an HTML page, each with it as a data: URI.
const inline = `data:image/jpeg;base64,${bridge.toString('base64')}`;
const wrapped: Record<string, { type: string; body: string }> = {
  '/svg': {
    type: 'image/svg+xml',
    body: `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><image href="${inline}"/></svg>`,
  },
  '/page': { type: 'text/html', body: `<!doctype html><title>x</title><img src="${inline}">` },
  // Its base64 in lines of 76, with a parameter before it: a browser skips the whitespace and reads the parameter.
  '/lines': {
    type: 'image/svg+xml',
    body: `<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/jpeg;name=a.jpg;base64,${bridge.toString('base64').replace(/.{76}/g, '$&\n')}"/></svg>`,
  },
};
// Pages of as many other pictures as are compared as pictures, then the photo (made in beforeAll).
const crowded: Record<string, { type: string; body: string }> = {};
let db: TestDatabase;
let site: Server;
const hasher = createVerificationHasher();
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await platformTestSchema();
  for (const [path, edit] of Object.entries(variants)) served[path] = await edit(sharp(bridge)).toBuffer();
  // Sixteen other pictures first (as many as are compared as pictures), then the photo: its bytes, or re-saved.
  const decoy = await sharp(served['/other']).resize(128).png().toBuffer();
  const img = (b: Buffer) => `<img src="data:image/png;base64,${b.toString('base64')}">`;
  const decoys = Array.from({ length: 16 }, () => img(decoy)).join('');
  crowded['/decoys'] = { type: 'text/html', body: `<!doctype html><title>x</title>${decoys}${img(bridge)}` };
  const resaved = served['/resaved']!;
  crowded['/decoys-resaved'] = {
    type: 'text/html',
    body: `<!doctype html><title>x</title>${decoys}${img(resaved)}`,
  };
  site = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const body = served[path];
    const page = wrapped[path] ?? crowded[path];
    if (page !== undefined) res.writeHead(200, { 'content-type': page.type }).end(page.body);
    else if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(body);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await hasher.close();
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

/**
 * A takedown of the bridge photo seen at `path`, as policy opens it from the scanner's verdict (whose hashes, with
 * `perceptual`, hold the photo's PDQ as the scanner computes it), which the platform then says it actioned.
 */
async function takedownActioned(path: string, perceptual: boolean): Promise<string> {
  const hashes = await hashMedia(bridge);
  const submissionId = randomUUID();
  await recordVerdict(
    db.pool,
    verdictOf(submissionId, [], {
      tenantId: 'plat',
      hashes: {
        sha256: hashes.sha256,
        sha1: hashes.sha1,
        md5: hashes.md5,
        ...(perceptual
          ? { pdq: hashes.pdq, pdqQuality: hashes.pdqQuality, blockhash: hashes.blockhash }
          : {}),
      },
    }),
  );
  const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}${path}?${randomBytes(4).toString('hex')}`;
  return verdictTakedownActioned(db.pool, clock, { url, submissionId, sha256: hashes.sha256 });
}

const lifecycle = () => perceptualLifecycle(db.pool, clock, hasher);
const statusOf = async (id: string) => (await getOrder(db.pool, id, { all: true }))?.status;

describe('verifying a takedown of an image the platform says it actioned, by its PDQ as well as its bytes', () => {
  it('reopens it while the same picture is served with other bytes; verifies it once another picture or none is', async () => {
    const appended = await takedownActioned('/appended', true);
    const resaved = await takedownActioned('/resaved', true);
    const other = await takedownActioned('/other', true);
    const removed = await takedownActioned('/removed', true);
    // No PDQ stored (a verdict of exact hashes only): the exact digest alone decides, as before.
    const exactOnly = await takedownActioned('/appended', false);
    expect(await lifecycle().runVerification()).toEqual({ verified: 3, reopened: 2 });
    expect(await statusOf(appended)).toBe('reopened');
    expect(await statusOf(resaved)).toBe('reopened');
    expect(await statusOf(other)).toBe('verified');
    expect(await statusOf(removed)).toBe('verified');
    expect(await statusOf(exactOnly)).toBe('verified');
  });

  it('leaves it actioned, to be checked again, when the image served cannot be hashed within the decode limits', async () => {
    const bomb = await takedownActioned('/bomb', true);
    expect(await lifecycle().runVerification()).toEqual({ verified: 0, reopened: 0 });
    expect(await statusOf(bomb)).toBe('actioned');
    const { rows } = await db.pool.query<{ verify_attempts: number }>(
      'select verify_attempts from orders where id = $1',
      [bomb],
    );
    expect(rows[0]?.verify_attempts).toBe(1);
  });

  it('reopens it while the picture is served mirrored, turned or letterboxed, as the scanner would match it', async () => {
    const ids = await Promise.all(Object.keys(variants).map((path) => takedownActioned(path, true)));
    const other = await takedownActioned('/other', true);
    expect(await lifecycle().runVerification()).toEqual({ verified: 1, reopened: ids.length });
    for (const id of ids) expect(await statusOf(id)).toBe('reopened');
    expect(await statusOf(other)).toBe('verified');
  });

  it('reopens it while the picture is served inside an SVG or an HTML page at its URL, as a data: URI', async () => {
    const ids = await Promise.all(Object.keys(wrapped).map((path) => takedownActioned(path, true)));
    const exactOnly = await takedownActioned('/page', false);
    expect(await lifecycle().runVerification()).toEqual({ verified: 0, reopened: ids.length + 1 });
    for (const id of [...ids, exactOnly]) expect(await statusOf(id)).toBe('reopened');
  });

  it('reopens it, or leaves it to be checked again, when the picture follows as many other pictures as are compared', async () => {
    const exact = await takedownActioned('/decoys', true);
    const resaved = await takedownActioned('/decoys-resaved', true);
    expect(await lifecycle().runVerification()).toEqual({ verified: 0, reopened: 1 });
    expect(await statusOf(exact)).toBe('reopened');
    expect(await statusOf(resaved)).toBe('actioned');
  });
});
