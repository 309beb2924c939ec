import { createServer, type Server } from 'node:http';
import { loadConfig } from '@mod/config';
import { withTransaction } from '@mod/db';
import { ensureBank } from '@mod/db/banks';
import { addUrlListEntries, announceUrlBank, type UrlListEntryInput } from '@mod/db/url-lists';
import { createFetcherService, fetcherSpec, type FetcherService } from '@mod/fetcher';
import { createRegistry, type Registry } from '@mod/telemetry';
import { tenantWithKey } from '@mod/testing';
import { canonicalPatternKey } from '@mod/urls';
import { defaultAddressPolicy, type AddressPolicy, type Resolver } from '@mod/urls/fetch';
import { logger, serviceEnv, type World } from './helpers.js';

/** The loopback alias tests treat as a public address; 127.0.0.1 stays refused (the "private" side). */
export const PUBLIC_TEST_ADDRESS = '127.0.0.2';

/** Test-only policy: the one loopback alias counts as public, everything else as production decides. */
export const testAddressPolicy: AddressPolicy = (ip) =>
  ip === PUBLIC_TEST_ADDRESS ? 'allow' : defaultAddressPolicy(ip);

/** Names the tests use, resolved without DNS; anything else does not resolve. Never leaves loopback. */
export function testResolver(names: Readonly<Record<string, string>>): Resolver {
  return (hostname) => {
    const address = names[hostname];
    if (address === undefined) return Promise.reject(new Error(`ENOTFOUND ${hostname}`));
    return Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);
  };
}

/** A local HTTP server on one loopback address that serves fixed bodies by path and counts requests. */
export interface MediaServer {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startMediaServer(
  host: string,
  bodies: Readonly<Record<string, { type: string; body: Buffer }>>,
  port = 0,
): Promise<MediaServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const item = bodies[req.url ?? ''];
    if (item === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': item.type, 'content-length': item.body.length }).end(item.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface StartedFetcher {
  service: FetcherService;
  registry: Registry;
}

/** Starts a fetcher in this process for the world, with the test address policy and resolver. */
export async function startFetcher(
  world: World,
  names: Readonly<Record<string, string>>,
  /** More settings for the fetcher (e.g. `PAGE_MAX_IMAGES`). */
  env: Record<string, string> = {},
  /** The clock of its seen-before memory, in milliseconds (a test steps it). Default `Date.now`. */
  clock?: () => number,
): Promise<StartedFetcher> {
  const registry = createRegistry('fetcher');
  await world.ready;
  const config = loadConfig(fetcherSpec, serviceEnv(world, 'fetcher', env));
  const service = createFetcherService(config, logger.child({ service: 'fetcher' }), registry, {
    addressPolicy: testAddressPolicy,
    resolver: testResolver(names),
    ...(clock === undefined ? {} : { clock }),
  });
  await service.start();
  return { service, registry };
}

/** An ISP tenant subscribed to blocking requests, with an API key. */
export async function createIsp(world: World, id: string): Promise<{ id: string; key: string }> {
  return { id, key: await tenantWithKey(world.db, { id, kind: 'isp', role: 'isp' }) };
}

/** Creates a URL-list bank and adds entries, announced through the outbox (the actioner's relay publishes). */
export async function createUrlList(
  world: World,
  name: string,
  entries: readonly Omit<UrlListEntryInput, 'canonicalKey'>[],
  actionPolicy: 'automatic' | 'review' = 'automatic',
): Promise<{ bankId: string; entryIds: string[] }> {
  const bank = await ensureBank(world.db, {
    name,
    source: 'test',
    signalTypes: ['url'] as never,
    actionPolicy,
  });
  const added = await withTransaction(world.db, async (c) => {
    await announceUrlBank(c, bank.id, world.topics.urlListChanges);
    return addUrlListEntries(
      c,
      bank.id,
      entries.map((e) => ({ ...e, canonicalKey: canonicalPatternKey(e.kind, e.pattern) })),
      world.topics.urlListChanges,
    );
  });
  return { bankId: bank.id, entryIds: added.added.map((e) => e.id) };
}

/** The value of one labelled counter in a registry (0 when absent). */
export async function counterValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (
    metric as { values?: { value: number; labels: Record<string, string | number> }[] } | undefined
  )?.values;
  const hit = values?.find((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val));
  return hit?.value ?? 0;
}
