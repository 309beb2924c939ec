import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrder, openOrder } from '@mod/db/orders';
import { testOrder, type TestDatabase } from '@mod/testing';
import { urlSha256 } from '@mod/urls';
import { createManualClock } from './clock.js';
import {
  loopbackVerifier,
  platformActioned,
  platformTestSchema,
  testLifecycle,
} from './lifecycle.test-helper.js';

// A takedown of a URL a URL list names (the fetcher's listed verdict), or of a reported page a person confirmed: its
// digest is the URL's, there is no content digest. The platform says it actioned it and goes on serving the URL. Verification re-fetches it over loopback
// through the real SSRF-safe fetcher, against the real PostgreSQL.
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
let db: TestDatabase;
let site: Server;
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await platformTestSchema();
  site = createServer((req, res) => {
    if (req.url?.startsWith('/removed/') === true) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

/** A URL-list hit, as the fetcher's listed verdict names it. */
const urlListHit = () => ({
  bankId: crypto.randomUUID(),
  bankName: 'listed pages',
  entryId: `url:${crypto.randomUUID()}`,
  signal: 'sha256',
  distance: 0,
  category: 'A',
  actionPolicy: 'automatic',
  negative: false,
});

/**
 * A takedown of a URL whose digest is the URL's, as policy opens it (from a listed verdict: `hits` a URL list's; from
 * a reported page a person confirmed: none), which the platform then says it actioned.
 */
async function urlTakedownActioned(path: string, hits: unknown[]): Promise<string> {
  const listed = `http://127.0.0.1:${(site.address() as AddressInfo).port}${path}`;
  const order = await openOrder(
    db.pool,
    testOrder({
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: listed,
      targetTenantId: 'plat',
      verifyUrl: listed,
      evidence: {
        submissionId: crypto.randomUUID(),
        sha256: urlSha256(listed),
        hits,
        policyVersion: '1',
      },
    }),
  );
  await platformActioned(db.pool, clock, order.id);
  return order.id;
}

const lifecycle = () =>
  testLifecycle(db.pool, clock, {
    verifier: loopbackVerifier(),
  });
const statusOf = async (id: string) => (await getOrder(db.pool, id, { all: true }))?.status;

describe("verifying a takedown of a URL the platform says it actioned, whose digest is the URL's", () => {
  it('reopens it while the URL still serves, instead of taking the URL digest for a content change', async () => {
    const path = (dir: string) => `/${dir}/${randomBytes(6).toString('hex')}.jpg`;
    const listedServed = await urlTakedownActioned(path('listed'), [urlListHit()]);
    const confirmedServed = await urlTakedownActioned(path('reported'), []);
    const removed = await urlTakedownActioned(path('removed'), [urlListHit()]);
    expect(await lifecycle().runVerification()).toEqual({ verified: 1, reopened: 2 });
    expect(await statusOf(listedServed)).toBe('reopened');
    expect(await statusOf(confirmedServed)).toBe('reopened');
    expect(await statusOf(removed)).toBe('verified');
  });
});
