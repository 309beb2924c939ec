import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAddressPolicy } from './address-policy.js';
import { createSafeFetcher } from './fetcher.js';
import { JPEG } from './fetcher.test-helper.js';
import type { FetchOutcome, Resolver } from './fetcher-types.js';

// A wildcard DNS zone whose every name points at one slow server (a tarpit, on 127.0.0.3), and another host (on
// 127.0.0.4) that answers at once: both loopback aliases, treated as public by the test's policy.
const TARPIT_IP = '127.0.0.3';
const FAST_IP = '127.0.0.4';
const resolver: Resolver = (hostname) =>
  Promise.resolve([{ address: hostname.endsWith('.tarpit.test') ? TARPIT_IP : FAST_IP, family: 4 }]);

/** The tarpit holds every request until the test lets them go; it counts how many it held at once. */
const held: http.ServerResponse[] = [];
let most = 0;
let tarpitPort = 0;
const tarpit = http.createServer((_req, res) => {
  held.push(res);
  most = Math.max(most, held.length);
});
const fast = http.createServer((_req, res) => res.writeHead(200).end(JPEG));

function letGo(): void {
  for (const res of held.splice(0)) res.writeHead(200).end(JPEG);
}

async function listen(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  tarpitPort = await listen(tarpit, TARPIT_IP, 0);
  // Same port on the other alias, so that a URL differs by its name only.
  await listen(fast, FAST_IP, tarpitPort);
});
afterAll(async () => {
  for (const server of [tarpit, fast]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Resolves once the tarpit holds `n` requests. */
async function tarpitHolds(n: number): Promise<void> {
  while (held.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
}

const fetcher = () =>
  createSafeFetcher({
    resolver,
    addressPolicy: (address) =>
      address === TARPIT_IP || address === FAST_IP ? 'allow' : defaultAddressPolicy(address),
    timeoutMs: 30_000,
    maxConcurrentPerHost: 2,
  });
const named = (i: number) => `http://n${i}.tarpit.test:${tarpitPort}/img.jpg`;

describe('safe fetcher: a tarpit behind countless names', () => {
  it('holds each address to the per-host bound, whatever name its fetches use', async () => {
    most = 0;
    const f = fetcher();
    const outcomes = Promise.all(Array.from({ length: 6 }, (_, i) => f.fetch(named(i))));
    // Let the tarpit answer what it holds, again and again: each answer makes room for the next waiting fetch.
    for (let answered = 0; answered < 6; ) {
      await tarpitHolds(1);
      answered += held.length;
      letGo();
    }
    expect((await outcomes).map((o) => o.ok)).toEqual([true, true, true, true, true, true]);
    expect(most).toBe(2);
  });

  it('answers host-busy at once to a caller that will not queue behind a busy address, and serves other hosts', async () => {
    most = 0;
    const f = fetcher();
    // Eight events of a consumer's in-flight window, all naming the tarpit under names of their own.
    const outcomes: Promise<FetchOutcome>[] = Array.from({ length: 8 }, (_, i) =>
      f.fetch(named(i), { whenHostBusy: 'refuse' }),
    );
    await tarpitHolds(2);
    // Two held, two waiting for the address: the other four answered at once, the tarpit never dialled for them.
    const settled = await Promise.all(outcomes.slice(4));
    expect(settled.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(Array(4).fill('host-busy'));
    // Meanwhile another host is fetched at once.
    expect(await f.fetch(`http://fast.test:${tarpitPort}/img.jpg`, { whenHostBusy: 'refuse' })).toMatchObject(
      {
        ok: true,
        address: FAST_IP,
      },
    );
    letGo();
    await tarpitHolds(2);
    letGo();
    expect((await Promise.all(outcomes.slice(0, 4))).map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(most).toBe(2);
  });
});
