import { createServer } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Hit } from '@mod/contracts';
import type { Pool } from '@mod/db';
import { openOrder, orderPerceptualHashes } from '@mod/db/orders';
import { testOrder, type TestDatabase } from '@mod/testing';
import { createManualClock, type ManualClock } from './clock.js';
import {
  loopbackVerifier,
  platformActioned,
  platformTestSchema,
  testLifecycle,
} from './lifecycle.test-helper.js';
import type { OrderLifecycle } from './lifecycle.js';
import { createVerificationHasher, type VerificationHasher } from './verification-hasher.js';

type BodyOf = (path: string) => { type: string; body: Buffer | string } | undefined;
interface LoopbackSite {
  url(path: string): string;
  close(): Promise<void>;
}

/** A site on 127.0.0.1 answering each path (query left out) with `bodyOf`'s body and type, or 404 when none. */
export async function loopbackSite(bodyOf: BodyOf): Promise<LoopbackSite> {
  const site = createServer((req, res) => {
    const answer = bodyOf((req.url ?? '').split('?')[0] ?? '');
    if (answer === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  return {
    url: (path) => `http://127.0.0.1:${(site.address() as AddressInfo).port}${path}`,
    close: async () => {
      site.closeAllConnections();
      await new Promise((r) => site.close(r));
    },
  };
}

/**
 * A takedown of `url` to the platform `plat`, as policy opens it from the verdict of `submissionId` (its content's
 * `sha256`, its `hits`), which the platform then answers actioned; its id.
 */
export async function verdictTakedownActioned(
  db: Pool,
  clock: ManualClock,
  a: { url: string; submissionId: string; sha256: string; hits?: Hit[] },
): Promise<string> {
  const { url, submissionId, sha256 } = a;
  const order = await openOrder(
    db,
    testOrder({
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: url,
      targetTenantId: 'plat',
      verifyUrl: url,
      submissionId,
      evidence: { submissionId, sha256, hits: a.hits ?? [], policyVersion: '1' },
    }),
  );
  await platformActioned(db, clock, order.id);
  return order.id;
}

/** A lifecycle whose verifier also compares re-fetched images' hashes (`hasher`) with the order's verdicts'. */
export const perceptualLifecycle = (
  db: Pool,
  clock: ManualClock,
  hasher: VerificationHasher,
): OrderLifecycle =>
  testLifecycle(db, clock, {
    verifier: loopbackVerifier({
      stored: (orderId) => orderPerceptualHashes(db, orderId),
      hash: hasher.hash,
    }),
  });

/** What an image verification test runs on: its schema (with `plat`), its site, the hasher and the pass's clock. */
export interface ImageVerificationWorld {
  db: TestDatabase;
  site: LoopbackSite;
  hasher: VerificationHasher;
  clock: ManualClock;
}

/**
 * The world of a test file verifying image takedowns, set up before its tests (after `prepare`, which may fill what
 * `bodyOf` answers) and taken down after them.
 */
export function useImageVerificationWorld(
  bodyOf: BodyOf,
  prepare?: () => Promise<void>,
): ImageVerificationWorld {
  const world = {
    hasher: createVerificationHasher(),
    clock: createManualClock(new Date('2026-04-01T00:00:00Z')),
  } as ImageVerificationWorld;
  beforeAll(async () => {
    await prepare?.();
    world.db = await platformTestSchema();
    world.site = await loopbackSite(bodyOf);
  });
  afterAll(async () => {
    await world.hasher.close();
    await world.site?.close();
    await world.db?.drop();
  });
  return world;
}
