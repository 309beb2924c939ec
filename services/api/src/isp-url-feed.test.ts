import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { addUrlListPatterns, createUrlList, type Curator } from '@mod/curation';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback, type HttpAnswer } from './over-http.test-helper.js';
import { bearer, openTestOrder } from './testing.test-helper.js';

/*
 * The URL list for ISPs' HTTP filtering proxies as JSON, over HTTP on loopback against PostgreSQL: each ISP reads
 * only the URL-level blocks in force for it (its own requests and the URL lists' entries, never another ISP's
 * requests, never a host-level block, which the RPZ carries), each URL with the requests to acknowledge; the same
 * serials as the text feeds, ETags, changes since a serial; and an acknowledgement through the ISPs' route.
 */
const api = useCallersWorld({
  ispA: ['isp-ua', 'isp'],
  ispB: ['isp-ub', 'isp'],
  authority: ['auth-u', 'authority'],
});
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
const by: Curator = { actor: { kind: 'service', id: 'test' }, role: null, tenantId: null };
const tag = randomBytes(4).toString('hex');

interface UrlEntry {
  url: string;
  orderIds: string[];
}
interface FullJson {
  format: string;
  kind: 'full';
  serial: number;
  entries: UrlEntry[];
}
interface IncrementalJson {
  kind: 'incremental';
  fromSerial: number;
  toSerial: number;
  added: UrlEntry[];
  removed: string[];
}

const order = (target: string, subjectType: 'url' | 'host', subjectValue: string) =>
  openTestOrder(api.world, {
    kind: 'blocking',
    subjectType,
    subjectValue,
    targetTenantId: target,
    issuer: { kind: 'authority', id: 'auth-u' },
    issuerTenantId: 'auth-u',
  });

const feedPath = (since?: number) =>
  `/v1/isp/feeds/url-list.json${since === undefined ? '' : `?since=${since}`}`;
const jsonFeed = (key: string, since?: number) => call(key, 'GET', feedPath(since));
/** The status of a conditional request (a 304 has no body to read as JSON). */
async function conditional(key: string, etag: string, since?: number): Promise<number> {
  const { port } = api.app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}${feedPath(since)}`, {
    headers: { ...bearer(key), 'if-none-match': etag },
  });
  await res.arrayBuffer();
  return res.status;
}
const textFeed = (key: string, format: string) => call(key, 'GET', `/v1/isp/feeds/${format}`);
const serialOf = (res: HttpAnswer) => Number(res.headers.get('x-feed-serial'));
const dataLines = (res: HttpAnswer) =>
  res.bytes
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));

let urlA = '';
let hostA = '';
let urlB = '';
const photo = `https://photos.example/${tag}/1.jpg`;
const line = `photos.example/${tag}/1.jpg`;
const listed = `photos.example/${tag}/list.jpg`;

beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  const list = await createUrlList(
    api.db,
    { name: `url-feed-${tag}`, source: 'test', actionPolicy: 'automatic' },
    api.world.topics.urlListChanges,
    by,
  );
  const added = await addUrlListPatterns(api.db, {
    bankId: list.bank.id,
    entries: [{ kind: 'url', pattern: listed }],
    changesTopic: api.world.topics.urlListChanges,
    provenance: 'test',
    by,
  });
  expect(added.errors).toEqual([]);
  urlA = await order('isp-ua', 'url', photo);
  hostA = await order('isp-ua', 'host', `whole-${tag}.example`);
  urlB = await order('isp-ub', 'url', `https://other.example/${tag}/b.jpg`);
});

describe('the URL list as JSON for HTTP filtering proxies', () => {
  it("lists each ISP's own URL-level blocks with the requests to acknowledge, as the text feed's serial", async () => {
    const res = await jsonFeed(api.keys.ispA);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-feed-kind')).toBe('full');
    const body = res.json<FullJson>();
    expect(body).toMatchObject({ format: 'url-list', kind: 'full', serial: serialOf(res) });
    const mine = body.entries.filter((e) => e.url.includes(tag));
    expect(mine).toEqual([
      { url: line, orderIds: [urlA] },
      { url: listed, orderIds: [] },
    ]);
    // The text URL list at the same serial holds the same lines, in the same order; the host-level block is in the
    // RPZ and the domain list only, the URL-level one never in the RPZ.
    const text = await textFeed(api.keys.ispA, 'url-list');
    expect(serialOf(text)).toBe(body.serial);
    expect(dataLines(text)).toEqual(body.entries.map((e) => e.url));
    const rpz = (await textFeed(api.keys.ispA, 'rpz')).bytes.toString('utf8');
    expect(rpz).toContain(`whole-${tag}.example CNAME .`);
    expect(rpz).not.toContain('photos.example');
    expect(JSON.stringify(body)).not.toContain(`whole-${tag}`);
    // Another ISP's request is in its own feed only.
    expect(JSON.stringify(body)).not.toContain('other.example');
    const b = (await jsonFeed(api.keys.ispB)).json<FullJson>();
    expect(b.entries.filter((e) => e.url.includes(tag))).toEqual([
      { url: `other.example/${tag}/b.jpg`, orderIds: [urlB] },
      { url: listed, orderIds: [] },
    ]);
    expect(JSON.stringify(b)).not.toContain(urlA);
    expect(hostA).not.toBe('');
  });

  it('answers 304 to its ETag, and the changes since a serial with the new requests', async () => {
    const first = await jsonFeed(api.keys.ispA);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"url-list-\d+-[0-9a-f]+-json"$/);
    expect(etag).not.toBe((await textFeed(api.keys.ispA, 'url-list')).headers.get('etag'));
    expect(await conditional(api.keys.ispA, etag)).toBe(304);
    const s1 = serialOf(first);

    const second = await order('isp-ua', 'url', `https://photos.example/${tag}/2.jpg`);
    const inc = await jsonFeed(api.keys.ispA, s1);
    expect(inc.status).toBe(200);
    expect(inc.headers.get('x-feed-kind')).toBe('incremental');
    const s2 = serialOf(inc);
    expect(s2).toBe(s1 + 1);
    expect(inc.json<IncrementalJson>()).toEqual({
      format: 'url-list',
      kind: 'incremental',
      fromSerial: s1,
      toSerial: s2,
      added: [{ url: `photos.example/${tag}/2.jpg`, orderIds: [second] }],
      removed: [],
    });
    const incEtag = inc.headers.get('etag')!;
    expect(await conditional(api.keys.ispA, incEtag, s1)).toBe(304);
    // The other ISP's feed did not move.
    const other = await jsonFeed(api.keys.ispB);
    expect((await jsonFeed(api.keys.ispB, serialOf(other))).json<IncrementalJson>().added).toEqual([]);

    // Withdrawn by the authority: off the feed.
    const withdrawn = await call(api.keys.authority, 'POST', `/v1/orders/${second}/withdraw`, {
      reason: 'sai địa chỉ',
    });
    expect(withdrawn.status).toBe(200);
    const after = await jsonFeed(api.keys.ispA, s2);
    expect(after.json<IncrementalJson>()).toMatchObject({
      fromSerial: s2,
      toSerial: s2 + 1,
      added: [],
      removed: [`photos.example/${tag}/2.jpg`],
    });
    // An unknown serial gets the full feed.
    const unknown = await jsonFeed(api.keys.ispA, s2 + 50);
    expect(unknown.headers.get('x-feed-kind')).toBe('full');
    expect(unknown.json<FullJson>().kind).toBe('full');
  });

  it('is for ISPs only, each its own', async () => {
    expect((await call('', 'GET', '/v1/isp/feeds/url-list.json')).status).toBe(401);
    const authority = await call(api.keys.authority, 'GET', '/v1/isp/feeds/url-list.json');
    expect(authority.status).toBe(403);
  });

  it('takes the proxy’s acknowledgement of a listed request through the ISPs’ route, and only its own', async () => {
    const listedIds = (await jsonFeed(api.keys.ispA)).json<FullJson>().entries.flatMap((e) => e.orderIds);
    expect(listedIds).toContain(urlA);
    const path = `/v1/isp/blocking-requests/${urlA}/acknowledgements`;
    expect((await call(api.keys.ispB, 'POST', path, { status: 'applied' })).status).toBe(404);
    const ack = await call(api.keys.ispA, 'POST', path, { status: 'applied', reason: 'proxy rule 17' });
    expect(ack.status).toBe(201);
    expect(ack.json()).toMatchObject({ orderId: urlA, orderStatus: 'actioned', duplicate: false });
    // Applied is still in force: the proxy keeps the line.
    const entries = (await jsonFeed(api.keys.ispA)).json<FullJson>().entries;
    expect(entries).toContainEqual({ url: line, orderIds: [urlA] });
  });

  it('tells a proxy syncing by changes of the requests behind a URL it already lists', async () => {
    const start = serialOf(await jsonFeed(api.keys.ispA));
    // A URL list already blocks the URL (no request behind it); a blocking request for it follows, as the fetcher's
    // hit on that list entry and the actioner make one. The text line is the same: the requests are not.
    const onListed = await order('isp-ua', 'url', `https://${listed}`);
    const inc = await jsonFeed(api.keys.ispA, start);
    expect(inc.headers.get('x-feed-kind')).toBe('incremental');
    const s1 = serialOf(inc);
    expect(s1).toBeGreaterThan(start);
    expect(inc.json<IncrementalJson>()).toMatchObject({
      added: [{ url: listed, orderIds: [onListed] }],
      removed: [],
    });
    // Withdrawn and issued again between two polls: the line never left, the request to acknowledge is the new one.
    const again = `https://photos.example/${tag}/again.jpg`;
    const first = await order('isp-ua', 'url', again);
    const s2 = serialOf(await jsonFeed(api.keys.ispA, s1));
    const withdrawn = await call(api.keys.authority, 'POST', `/v1/orders/${first}/withdraw`, {
      reason: 'căn cứ pháp lý sai',
    });
    expect(withdrawn.status).toBe(200);
    const second = await order('isp-ua', 'url', again);
    const later = await jsonFeed(api.keys.ispA, s2);
    expect(later.json<IncrementalJson>()).toMatchObject({
      added: [{ url: `photos.example/${tag}/again.jpg`, orderIds: [second] }],
      removed: [],
    });
    // The text feed's changes are the lines' alone: nothing was added or removed there.
    const text = await call(api.keys.ispA, 'GET', `/v1/isp/feeds/url-list?since=${s2}`);
    expect(dataLines(text).filter((l) => l.includes(tag))).toEqual([]);
  });
});
