import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrder } from '@mod/db/orders';
import { createProducer, type Producer } from '@mod/kafka';
import { seedTenants, testOrder } from '@mod/testing';
import { buildWorldApp, createWorld, listenOnLoopback, waitFor, type World } from './helpers.js';
import { freePort } from './processes.js';

/*
 * A real HTTP filtering proxy (Debian's tinyproxy, URL filtering, on loopback) applies an ISP's JSON URL feed: the
 * one image its blocking request names is refused through the proxy, the rest of the same host and another ISP's
 * block are not; the proxy's operator acknowledges each request the feed names, and the authority reads that the
 * block is applied by the URL filter. Skipped where tinyproxy is not installed (`apt-get install tinyproxy`).
 */
const TINYPROXY = process.env['TINYPROXY_PATH'] ?? '/usr/bin/tinyproxy';

let world: World;
let producer: Producer | undefined;
let app: FastifyInstance | undefined;
let origin = '';
let site: Server;
let sitePort = 0;
let proxy: ChildProcess | undefined;
let proxyPort = 0;
const dir = mkdtempSync(join(tmpdir(), 'mod-url-proxy-'));
let keys: Record<string, string> = {};
const ids = { mine: '', other: '' };

/** GET `path` of the site through the proxy, as a subscriber's browser does; answers the status. */
function throughProxy(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        path: `http://127.0.0.1:${sitePort}${path}`,
        headers: { host: `127.0.0.1:${sitePort}` },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** A URL-list line (`host[:port]/path?query`) as a POSIX extended regular expression over the proxied URL. */
const ereOf = (line: string) => `^http://${line.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')}$`;

const asCaller = (key: string, path: string, init: RequestInit = {}) =>
  fetch(`${origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });

describe.skipIf(!existsSync(TINYPROXY))('a real HTTP filtering proxy applying the JSON URL feed', () => {
  beforeAll(async () => {
    world = createWorld();
    await world.ready;
    producer = await createProducer(world.kafka);
    app = await buildWorldApp(world, producer);
    origin = await listenOnLoopback(app);
    keys = await seedTenants(world.db, [
      { id: 'isp-proxy', kind: 'isp', role: 'isp' },
      { id: 'isp-elsewhere', kind: 'isp' },
      { id: 'auth-proxy', kind: 'authority', role: 'authority' },
    ]);
    site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end('jpeg'));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    sitePort = (site.address() as AddressInfo).port;
    const block = async (target: string, path: string) =>
      (
        await openOrder(
          world.db,
          testOrder({
            kind: 'blocking',
            subjectType: 'url',
            subjectValue: `http://127.0.0.1:${sitePort}${path}`,
            targetTenantId: target,
            issuer: { kind: 'authority', id: 'auth-proxy' },
            issuerTenantId: 'auth-proxy',
          }),
        )
      ).id;
    ids.mine = await block('isp-proxy', '/album/42.jpg');
    ids.other = await block('isp-elsewhere', '/album/43.jpg');
  }, 120_000);

  afterAll(async () => {
    proxy?.kill('SIGTERM');
    await new Promise<void>((resolve) => (site === undefined ? resolve() : site.close(() => resolve())));
    await app?.close();
    await producer?.disconnect();
    await world?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('blocks the one image its request names, through the proxy, and the authority reads it applied', async () => {
    const feed = await asCaller(keys['isp-proxy']!, '/v1/isp/feeds/url-list.json');
    expect(feed.status).toBe(200);
    const { entries } = (await feed.json()) as { entries: { url: string; orderIds: string[] }[] };
    expect(entries).toEqual([{ url: `127.0.0.1:${sitePort}/album/42.jpg`, orderIds: [ids.mine] }]);

    // The proxy's filter from the feed: one rule per URL; the proxy drops root for nobody, so all may read it.
    chmodSync(dir, 0o755);
    const filter = join(dir, 'filter');
    writeFileSync(filter, entries.map((e) => ereOf(e.url)).join('\n') + '\n', { mode: 0o644 });
    proxyPort = await freePort();
    const conf = join(dir, 'tinyproxy.conf');
    const asRoot = process.getuid?.() === 0;
    writeFileSync(
      conf,
      [
        ...(asRoot ? ['User nobody', 'Group nogroup'] : []),
        `Port ${proxyPort}`,
        'Listen 127.0.0.1',
        'Timeout 10',
        `Filter "${filter}"`,
        'FilterURLs On',
        'FilterType ere',
        'LogLevel Info',
        'MaxClients 10',
      ].join('\n') + '\n',
      { mode: 0o644 },
    );
    proxy = spawn(TINYPROXY, ['-d', '-c', conf], { stdio: 'ignore' });
    await waitFor('the proxy to listen', async () => {
      const socket = connect(proxyPort, '127.0.0.1');
      const up = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        socket.once('error', () => resolve(false));
      });
      socket.destroy();
      return up;
    });

    expect(await throughProxy('/album/42.jpg')).toBe(403);
    expect(await throughProxy('/album/41.jpg')).toBe(200); // the rest of the host stays reachable
    expect(await throughProxy('/album/43.jpg')).toBe(200); // another ISP's block is not this proxy's

    for (const orderId of entries.flatMap((e) => e.orderIds)) {
      const ack = await asCaller(
        keys['isp-proxy']!,
        `/v1/isp/blocking-requests/${orderId}/acknowledgements`,
        {
          method: 'POST',
          body: JSON.stringify({ status: 'applied', reason: 'tinyproxy URL filter' }),
        },
      );
      expect(ack.status).toBe(201);
    }
    const read = await asCaller(keys['auth-proxy']!, `/v1/orders/${ids.mine}`);
    expect(((await read.json()) as { application: unknown }).application).toMatchObject({
      mechanism: 'url-filter',
      feeds: ['url-list'],
      state: 'applied',
      acknowledgement: { status: 'applied', note: 'tinyproxy URL filter' },
    });
    const other = await asCaller(keys['auth-proxy']!, `/v1/orders/${ids.other}`);
    expect(((await other.json()) as { application: unknown }).application).toMatchObject({
      mechanism: 'url-filter',
      state: 'not-listed',
      ispTenantId: 'isp-elsewhere',
    });
  }, 60_000);
});
