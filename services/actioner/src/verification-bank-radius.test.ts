import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '@mod/contracts';
import { ensureBank } from '@mod/db/banks';
import { getOrder, openOrder, orderPerceptualHashes } from '@mod/db/orders';
import { recordVerdict } from '@mod/db/submissions';
import { hashMedia } from '@mod/hashing/decode';
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

// A takedown of a picture a bank matched by blockhash within its own radius (wider than the matcher's default, 10):
// the platform says it actioned it and goes on serving it. Verification compares the re-fetched picture's blockhash
// within that bank's radius, as the matcher did. Loopback HTTP, the real SSRF-safe fetcher, hasher and PostgreSQL.
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
let db: TestDatabase;
let site: Server;
const hasher = createVerificationHasher();
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await platformTestSchema();
  site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo));
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await hasher.close();
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

/** `hex` with its first `bits` bits (a multiple of 4) inverted. */
const flip = (hex: string, bits: number) =>
  [...hex].map((d, i) => (i < bits / 4 ? (15 - parseInt(d, 16)).toString(16) : d)).join('');

/**
 * A takedown of the photo, whose verdict hit a bank of blockhash radius `radius` and stored a blockhash `bits` bits
 * from the photo's (and a PDQ of low quality, which no match reads), answered actioned by the platform.
 */
async function takedownActioned(radius: number, bits: number): Promise<string> {
  const hashes = await hashMedia(photo);
  const bank = await ensureBank(db.pool, {
    name: `radius-${randomBytes(4).toString('hex')}`,
    source: 'test',
    signalTypes: ['blockhash'],
    actionPolicy: 'automatic',
    blockhashThreshold: radius,
  });
  const hit: Hit = {
    bankId: bank.id,
    bankName: bank.name,
    entryId: randomUUID(),
    signal: 'blockhash',
    distance: bits,
    category: null,
    actionPolicy: 'automatic',
    negative: false,
  };
  const submissionId = randomUUID();
  await recordVerdict(
    db.pool,
    verdictOf(submissionId, [hit], {
      tenantId: 'plat',
      hashes: {
        sha256: 'cd'.repeat(32),
        sha1: 'cd'.repeat(20),
        md5: 'cd'.repeat(16),
        pdq: hashes.pdq,
        pdqQuality: 0,
        blockhash: flip(hashes.blockhash, bits),
      },
    }),
  );
  const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/photo.jpg?${randomBytes(4).toString('hex')}`;
  const order = await openOrder(
    db.pool,
    testOrder({
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: url,
      targetTenantId: 'plat',
      verifyUrl: url,
      submissionId,
      evidence: { submissionId, sha256: 'cd'.repeat(32), hits: [hit], policyVersion: '1' },
    }),
  );
  await platformActioned(db.pool, clock, order.id);
  return order.id;
}

describe('verifying a takedown matched by blockhash, within the radius of the bank it matched', () => {
  it('reopens it within the bank’s radius, wider than the default, and verifies it past it', async () => {
    const within = await takedownActioned(24, 20);
    const beyond = await takedownActioned(10, 20);
    const lifecycle = testLifecycle(db.pool, clock, {
      verifier: loopbackVerifier({
        stored: (orderId) => orderPerceptualHashes(db.pool, orderId),
        hash: hasher.hash,
      }),
    });
    expect(await lifecycle.runVerification()).toEqual({ verified: 1, reopened: 1 });
    expect((await getOrder(db.pool, within, { all: true }))?.status).toBe('reopened');
    expect((await getOrder(db.pool, beyond, { all: true }))?.status).toBe('verified');
  });
});
