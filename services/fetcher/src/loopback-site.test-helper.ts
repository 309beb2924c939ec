// The hostile web server of the fetcher's crawl tests: on 127.0.0.1 only, standing for public hosts.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { Resolver } from '@mod/urls/fetch';
import { loopbackFetch, world } from './fetch-step.test-helper.js';

/**
 * Serves `server` on 127.0.0.1 for the test file (every connection closed, then the server, after its tests):
 * `onPort` is told its port once it listens.
 */
export function serveOnLoopback(server: Server, onPort: (port: number) => void): void {
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onPort((server.address() as AddressInfo).port);
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
}

/** `img.test` and its subdomains are the test's loopback server, standing for a public host; any other name is private. */
export const imgTestResolver: Resolver = (hostname) =>
  hostname === 'img.test' || hostname.endsWith('.img.test')
    ? Promise.resolve([{ address: '127.0.0.1', family: 4 }])
    : Promise.resolve([{ address: '10.0.0.7', family: 4 }]);

/**
 * The fetch step's test world (`world`: at most 8 images a page, and `maxPageFrames` frames when given) with the
 * real SSRF-safe fetcher in front of the loopback server on `port` as img.test (`loopbackFetch`): pages are the
 * paths ending .html; each dial is noted in `dialled` when given.
 */
export function loopbackSiteWorld(port: number, o: { dialled?: string[]; maxPageFrames?: number } = {}) {
  const fetch = loopbackFetch({
    resolver: imgTestResolver,
    port,
    timeoutMs: 2_000,
    isPage: (url) => url.pathname.endsWith('.html'),
    dialled: o.dialled,
  });
  const frames = o.maxPageFrames === undefined ? {} : { maxPageFrames: o.maxPageFrames };
  return world(fetch, { maxPageImages: 8, ...frames });
}
