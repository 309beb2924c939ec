import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockingRequest, UrlObserved, Verdict } from '@mod/contracts';
import { listAudit } from '@mod/db/audit';
import { openOrder } from '@mod/db/orders';
import { testOrder } from '@mod/testing';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import { json, makePhoto, read, readPartners, waitFor } from './helpers.js';
import {
  PUBLIC_TEST_ADDRESS,
  counterValue,
  createIsp,
  createUrlList,
  startFetcher,
  startMediaServer,
  type MediaServer,
  type StartedFetcher,
} from './isp-helpers.js';

usePipelineWorld();
let fetcher: StartedFetcher;
let media: MediaServer;
let internal: MediaServer;
let ispA: { id: string; key: string };
let ispB: { id: string; key: string };
let photo: Buffer;
const zoneDir = mkdtempSync(join(tmpdir(), 'mod-isp-rpz-'));

beforeAll(async () => {
  photo = await makePhoto(71);
  media = await startMediaServer(PUBLIC_TEST_ADDRESS, {
    '/img/cat.jpg': { type: 'image/jpeg', body: photo },
    '/page.html': { type: 'text/html', body: Buffer.from('<html></html>') },
  });
  // The "private" side: 127.0.0.1 must never see a request.
  internal = await startMediaServer('127.0.0.1', { '/secret.jpg': { type: 'image/jpeg', body: photo } });
  fetcher = await startFetcher(world, {
    'media.example': PUBLIC_TEST_ADDRESS,
    'internal.example': '127.0.0.1',
  });
  ispA = await createIsp(world, 'isp-a');
  ispB = await createIsp(world, 'isp-b');
});

afterAll(async () => {
  await fetcher?.service.stop();
  await media?.close();
  await internal?.close();
  rmSync(zoneDir, { recursive: true, force: true });
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function upload(key: string, lines: readonly string[], gzip = false) {
  const body = Buffer.from(lines.join('\n') + '\n');
  return pipeline.app.inject({
    method: 'POST',
    url: '/v1/isp/traffic-samples',
    headers: {
      ...auth(key),
      'content-type': 'application/x-ndjson',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    payload: gzip ? gzipSync(body) : body,
  });
}

async function feed(key: string, format: string, headers: Record<string, string> = {}, since?: number) {
  return pipeline.app.inject({
    method: 'GET',
    url: `/v1/isp/feeds/${format}${since === undefined ? '' : `?since=${since}`}`,
    headers: { ...auth(key), ...headers },
  });
}

describe('ISP integration through real Kafka and PostgreSQL', () => {
  it('accepts gzip traffic samples line by line, reports bad lines, refuses a gzip bomb', async () => {
    const res = await upload(
      ispA.key,
      [
        JSON.stringify({ url: 'HTTP://Example.ORG:80/a/../b.png#frag', contentType: 'image/png' }),
        '{not json',
        JSON.stringify({ url: 'ftp://example.org/x' }),
        JSON.stringify({ url: 'http://example.org/', extra: 1 }),
        '',
        JSON.stringify({ url: 'https://example.net/c?q=1', observedAt: '2026-11-28T01:02:03Z' }),
      ],
      true,
    );
    expect(res.statusCode).toBe(202);
    const body = res.json<{ accepted: number; rejected: number; errors: { line: number; code: string }[] }>();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(3);
    expect(body.errors).toEqual([
      expect.objectContaining({ line: 2, code: 'MOD_ERR_ISP_LINE_JSON' }),
      expect.objectContaining({ line: 3, code: 'MOD_ERR_URL_SCHEME' }),
      expect.objectContaining({ line: 4, code: 'MOD_ERR_ISP_LINE_SCHEMA' }),
    ]);
    const records = await read(world, world.topics.urlObserved, (r) => r.length >= 2);
    const events = records.map((r) => json<UrlObserved>(r));
    expect(events.map((e) => e.url).sort()).toEqual([
      'http://example.org/b.png',
      'https://example.net/c?q=1',
    ]);
    expect(events.every((e) => e.tenantId === ispA.id && e.source === 'api')).toBe(true);
    expect(records.find((r) => r.key === 'example.org')).toBeDefined();

    // 40 MB of one byte compresses to ~40 kB: refused once decoding passes the bound.
    const bomb = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/isp/traffic-samples',
      headers: { ...auth(ispA.key), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      payload: gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x61)),
    });
    expect(bomb.statusCode).toBe(413);
    const brotli = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/isp/traffic-samples',
      headers: { ...auth(ispA.key), 'content-type': 'application/x-ndjson', 'content-encoding': 'br' },
      payload: 'x',
    });
    expect(brotli.statusCode).toBe(415);
    const platformTry = await upload('mod_not_a_real_key_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', ['{}']);
    expect(platformTry.statusCode).toBe(401);
  });

  it('turns a URL-list hit into a verdict and blocking requests for every subscribed ISP', async () => {
    const list = await createUrlList(world, 'iwf-urls', [
      { kind: 'url', pattern: 'abuse.example/gallery/1.html', category: 'A' },
      { kind: 'domain', pattern: 'dedicated-abuse.example', dedicatedToAbuse: true, category: 'A' },
    ]);
    await waitFor('fetcher URL index', async () => fetcher.service.urlLists.index().size >= 2 || undefined);
    const res = await upload(ispA.key, [JSON.stringify({ url: 'http://ABUSE.example/gallery/./1.html' })]);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 0 });

    const verdicts = await read(world, world.topics.verdicts, (r) =>
      r.some((x) => json<Verdict>(x).scannerVersion.startsWith('fetcher/')),
    );
    const verdict = verdicts
      .map((r) => json<Verdict>(r))
      .find((v) => v.scannerVersion.startsWith('fetcher/'))!;
    expect(verdict).toMatchObject({
      decision: 'match',
      tenantId: ispA.id,
      url: 'http://abuse.example/gallery/1.html',
      subject: { type: 'url', value: 'http://abuse.example/gallery/1.html' },
    });
    expect(verdict.hits).toEqual([
      expect.objectContaining({
        bankId: list.bankId,
        entryId: `url:${list.entryIds[0]}`,
        actionPolicy: 'automatic',
      }),
    ]);

    const requests = await readPartners(world, 'blockingRequests', ['isp-a', 'isp-b'], (r) =>
      ['isp-a', 'isp-b'].every((isp) =>
        r.some(
          (x) =>
            json<BlockingRequest>(x).evidence.submissionId === verdict.submissionId && x.tenantId === isp,
        ),
      ),
    );
    const mine = requests
      .map((r) => json<BlockingRequest>(r))
      .filter((b) => b.evidence.submissionId === verdict.submissionId);
    expect(mine.map((b) => b.ispTenantId).sort()).toEqual(['isp-a', 'isp-b']);
    expect(mine[0]?.evidence.hits[0]?.entryId).toBe(`url:${list.entryIds[0]}`);
    expect(
      await counterValue(fetcher.registry, 'mod_fetcher_observed_total', { outcome: 'url-list-hit' }),
    ).toBe(1);
  });

  it('blocks a domain dedicated to abuse once per ISP, however many names under it an ISP observes', async () => {
    // Anyone whose traffic an ISP samples (or the ISP itself) picks the names: each distinct one must not become
    // another blocking request to every subscribed ISP.
    const urls = ['r1', 'R2', 'x.r3'].map((name) => `http://${name}.dedicated-abuse.example/p`);
    const res = await upload(
      ispA.key,
      urls.map((url) => JSON.stringify({ url })),
    );
    expect(res.json()).toMatchObject({ accepted: 3, rejected: 0 });
    const normalized = urls.map((url) => url.toLowerCase());
    await waitFor('the three observations actioned', async () => {
      const { rows } = await world.db.query<{ n: number }>(
        `select count(*)::int as n from verdicts v join submissions s on s.id = v.submission_id
         where s.url = any($1)`,
        [normalized],
      );
      return rows[0]!.n >= 3 || undefined;
    });
    const { rows } = await world.db.query<{ isp: string; host: string }>(
      `select target_tenant_id as isp, subject_value as host from orders
       where kind = 'blocking' and subject_type = 'host' and subject_value like '%dedicated-abuse.example'
       order by 1, 2`,
    );
    expect(rows).toEqual([
      { isp: ispA.id, host: 'dedicated-abuse.example' },
      { isp: ispB.id, host: 'dedicated-abuse.example' },
    ]);
  });

  it('fetches a media URL safely, the scanner hashes it; a name resolving to loopback is never fetched', async () => {
    const good = `http://media.example:${media.port}/img/cat.jpg`;
    const res = await upload(ispB.key, [
      JSON.stringify({ url: good }),
      JSON.stringify({ url: `http://internal.example:${internal.port}/secret.jpg` }),
      JSON.stringify({ url: `http://127.0.0.1:${internal.port}/secret.jpg` }),
      JSON.stringify({ url: `http://media.example:${media.port}/page.html`, contentType: 'image/jpeg' }),
      JSON.stringify({ url: good }), // seen within the TTL: not fetched twice
    ]);
    expect(res.json()).toMatchObject({ accepted: 5, rejected: 0 });
    const verdicts = await read(world, world.topics.verdicts, (r) =>
      r.some((x) => json<Verdict>(x).url === good),
    );
    const verdict = verdicts.map((r) => json<Verdict>(r)).find((v) => v.url === good)!;
    expect(verdict.tenantId).toBe(ispB.id);
    expect(verdict.scannerVersion.startsWith('scanner/')).toBe(true);
    expect(verdict.width).toBe(320);
    await waitFor('all five observations handled', async () => {
      const handled = await Promise.all(
        ['fetched', 'refused', 'recently-seen'].map((outcome) =>
          counterValue(fetcher.registry, 'mod_fetcher_observed_total', { outcome }),
        ),
      );
      return handled.reduce((a, b) => a + b, 0) >= 5 || undefined;
    });
    const count = (outcome: string) =>
      counterValue(fetcher.registry, 'mod_fetcher_fetches_total', { outcome });
    expect(await count('ok')).toBe(1);
    expect(await count('blocked-address')).toBe(2);
    expect(await count('not-media')).toBe(1);
    expect(
      await counterValue(fetcher.registry, 'mod_fetcher_observed_total', { outcome: 'recently-seen' }),
    ).toBe(1);
    expect(internal.requests).toEqual([]);
    expect(media.requests.filter((p) => p === '/img/cat.jpg')).toHaveLength(1);
  });

  it('serves per-ISP feeds: RPZ that named-checkzone loads, URL and domain lists, incremental, ETag and 304', async () => {
    // An open blocking order with a URL subject, addressed to isp-a only.
    await openOrder(
      world.db,
      testOrder({
        subjectType: 'url',
        subjectValue: 'http://only-for-a.example/p?id=7',
        targetTenantId: ispA.id,
        issuer: { kind: 'authority', id: 'authority-1' },
      }),
    );
    const full = await feed(ispA.key, 'rpz');
    expect(full.statusCode).toBe(200);
    const serial = Number(full.headers['x-feed-serial']);
    expect(serial).toBeGreaterThan(1);
    expect(full.body).toContain('dedicated-abuse.example CNAME .');
    expect(full.body).toContain('*.dedicated-abuse.example CNAME .');
    expect(full.body).not.toContain('abuse.example/gallery');
    const file = join(zoneDir, 'isp-a.rpz');
    writeFileSync(file, full.body);
    const checked = execFileSync('named-checkzone', ['-k', 'fail', '-i', 'local', 'rpz.mod.local', file], {
      encoding: 'utf8',
    });
    expect(checked).toMatch(new RegExp(`loaded serial ${serial}\\nOK`));

    const urls = await feed(ispA.key, 'url-list');
    expect(urls.body.split('\n').filter(Boolean)).toEqual([
      'abuse.example/gallery/1.html',
      'only-for-a.example/p?id=7',
    ]);
    const urlsB = await feed(ispB.key, 'url-list');
    expect(urlsB.body).not.toContain('only-for-a.example');
    expect((await feed(ispA.key, 'domain-list')).body).toBe('dedicated-abuse.example\n');

    const etag = String(urls.headers['etag']);
    const again = await feed(ispA.key, 'url-list', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(Number(again.headers['x-feed-serial'])).toBe(serial);

    const list = await createUrlList(world, 'hotline-urls', [
      { kind: 'prefix', pattern: 'http://new.example/dir/' },
    ]);
    expect(list.entryIds).toHaveLength(1);
    const changed = await feed(ispA.key, 'url-list', { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(Number(changed.headers['x-feed-serial'])).toBe(serial + 1);
    const inc = await feed(ispA.key, 'url-list', {}, serial);
    expect(inc.headers['x-feed-kind']).toBe('incremental');
    expect(inc.body.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toEqual(['+new.example/dir/']);
    const incEtag = String(inc.headers['etag']);
    expect((await feed(ispA.key, 'url-list', { 'if-none-match': incEtag }, serial)).statusCode).toBe(304);
    const rpzInc = await feed(ispA.key, 'rpz', {}, serial);
    expect(rpzInc.body).toContain(`SOA localhost. hostmaster.localhost. ${serial + 1}`);
    expect((await feed(ispA.key, 'rpz', {}, 999_999)).headers['x-feed-kind']).toBe('full');
    expect((await feed(ispA.key, 'zone')).statusCode).toBe(400);
  });

  it('ISP acknowledgements drive the order lifecycle (failed: reopened, applied: actioned); another ISP gets 404', async () => {
    const requests = await readPartners(world, 'blockingRequests', ['isp-a'], (r) => r.length > 0);
    const order = requests.map((r) => json<BlockingRequest>(r)).find((b) => b.ispTenantId === 'isp-a')!;
    const ack = (key: string, body: unknown) =>
      pipeline.app.inject({
        method: 'POST',
        url: `/v1/isp/blocking-requests/${order.orderId}/acknowledgements`,
        headers: auth(key),
        payload: body as Record<string, unknown>,
      });
    expect((await ack(ispB.key, { status: 'applied' })).statusCode).toBe(404);
    expect((await ack(ispA.key, { status: 'failed' })).statusCode).toBe(400);
    expect((await ack(ispA.key, { status: 'applied', extra: true })).statusCode).toBe(400);
    const failed = await ack(ispA.key, { status: 'failed', reason: 'resolver rejected the zone' });
    expect(failed.statusCode).toBe(201);
    expect(failed.json()).toMatchObject({ orderStatus: 'reopened', event: 'action-failed' });
    const applied = await ack(ispA.key, { status: 'applied' });
    expect(applied.statusCode).toBe(201);
    expect(applied.json()).toMatchObject({
      orderId: order.orderId,
      status: 'applied',
      orderStatus: 'actioned',
    });
    // The same acknowledgement again is not an error and records nothing.
    const again = await ack(ispA.key, { status: 'applied' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true });
    const seen = await pipeline.app.inject({
      method: 'GET',
      url: `/v1/orders/${order.orderId}`,
      headers: auth(ispA.key),
    });
    const seenOrder = seen.json<{ status: string; history: { status: string; note: string | null }[] }>();
    expect(seenOrder.status).toBe('actioned');
    const history = seenOrder.history;
    expect(history.map((h) => h.status)).toEqual(['issued', 'action-failed', 'actioned']);
    expect(history[1]?.note).toBe('resolver rejected the zone');
    const audit = await listAudit(world.db, { subjectId: order.orderId });
    const acks = audit.filter((a) => a.role === 'isp').map((a) => a.action);
    expect(acks).toEqual(['order.apply_failed', 'order.applied']);
  });

  it('serves the walled-garden page publicly, in Vietnamese and English', async () => {
    const res = await pipeline.app.inject({ method: 'GET', url: '/blocked?ref=order-42' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('order-42');
    expect(res.body).toContain('Trang này đã bị chặn');
    expect(res.body).toMatch(/blocked/i);
    expect((await pipeline.app.inject({ method: 'GET', url: '/blocked?ref=<script>' })).statusCode).toBe(400);
  });
});
