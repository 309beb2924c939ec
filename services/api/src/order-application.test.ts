import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';
import { blockStateOf, placementOf } from './routes/order-application.js';

/*
 * What the authority reads of a blocking request (`GET /v1/orders/:id`, over HTTP on loopback against PostgreSQL):
 * how its ISP applies it (DNS through the RPZ, a host or URL filter through the domain and URL lists, or no feed),
 * whether the ISP's feed lists it, and the ISP's acknowledgement; a block no feed carries is said to be so, never
 * shown as applied.
 */
const api = useCallersWorld({
  isp: ['isp-ap', 'isp'],
  authority: ['auth-ap', 'authority'],
  second: ['auth-ap2', 'authority'],
});
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
const tag = randomBytes(4).toString('hex');

beforeAll(async () => {
  call = await listenOnLoopback(api.app);
});

const open = (subjectType: 'url' | 'host' | 'content-hash', subjectValue: string) =>
  openTestOrder(api.world, {
    kind: 'blocking',
    subjectType,
    subjectValue,
    targetTenantId: 'isp-ap',
    issuer: { kind: 'authority', id: 'auth-ap' },
    issuerTenantId: 'auth-ap',
  });

interface Application {
  mechanism: string;
  feeds: string[];
  limit: string | null;
  state: string;
  ispTenantId: string;
  listedSince: number | null;
  feedSerial: number | null;
  acknowledgement: { status: string; at: string | null; note: string | null };
}
const applicationOf = async (id: string): Promise<Application | undefined> => {
  const res = await call(api.keys.authority, 'GET', `/v1/orders/${id}`);
  expect(res.status).toBe(200);
  return res.json<{ application?: Application }>().application;
};
const pollFeed = async () =>
  Number((await call(api.keys.isp, 'GET', '/v1/isp/feeds/rpz')).headers.get('x-feed-serial'));
const ack = (id: string, body: object) =>
  call(api.keys.isp, 'POST', `/v1/isp/blocking-requests/${id}/acknowledgements`, body);

describe("the authority's view of how a blocking request is applied", () => {
  it('a URL block: URL filter only (never the RPZ), not listed until the ISP fetches, then listed, then applied', async () => {
    const id = await open('url', `https://cdn.example/${tag}/one.jpg`);
    expect(await applicationOf(id)).toEqual({
      mechanism: 'url-filter',
      feeds: ['url-list'],
      limit: 'url-level',
      state: 'not-listed',
      ispTenantId: 'isp-ap',
      listedSince: null,
      feedSerial: null,
      acknowledgement: { status: 'none', at: null, note: null },
    });
    const serial = await pollFeed();
    expect(await applicationOf(id)).toMatchObject({
      state: 'listed',
      listedSince: serial,
      feedSerial: serial,
    });
    expect((await ack(id, { status: 'applied', reason: 'proxy rule 4' })).status).toBe(201);
    const applied = await applicationOf(id);
    expect(applied).toMatchObject({
      mechanism: 'url-filter',
      state: 'applied',
      acknowledgement: { status: 'applied', note: 'proxy rule 4' },
    });
    expect(Date.parse(applied!.acknowledgement.at!)).not.toBeNaN();
  });

  it('a failed acknowledgement is reported with its reason, and a withdrawn block as ended', async () => {
    const id = await open('url', `https://cdn.example/${tag}/two.jpg`);
    await pollFeed();
    const failed = await ack(id, { status: 'failed', reason: 'proxy cannot see HTTPS paths' });
    expect(failed.status).toBe(201);
    expect(await applicationOf(id)).toMatchObject({
      state: 'failed',
      acknowledgement: { status: 'failed', note: 'proxy cannot see HTTPS paths' },
    });
    const withdrawn = await call(api.keys.authority, 'POST', `/v1/orders/${id}/withdraw`, { reason: 'test' });
    expect(withdrawn.status).toBe(200);
    await pollFeed();
    expect(await applicationOf(id)).toMatchObject({ state: 'ended', listedSince: null });
  });

  it('a host block goes through DNS (RPZ) and the domain list; an IP host through the domain list only', async () => {
    const host = await open('host', `whole-${tag}.example`);
    const ip = await open('host', '203.0.113.77');
    const serial = await pollFeed();
    expect(await applicationOf(host)).toMatchObject({
      mechanism: 'dns',
      feeds: ['rpz', 'domain-list'],
      limit: null,
      state: 'listed',
      listedSince: serial,
    });
    expect(await applicationOf(ip)).toMatchObject({
      mechanism: 'host-filter',
      feeds: ['domain-list'],
      limit: 'ip-host',
      state: 'listed',
    });
  });

  it('a block no feed carries is reported as such, never as applied', async () => {
    const id = await open('content-hash', randomBytes(32).toString('hex'));
    await pollFeed();
    expect(await applicationOf(id)).toMatchObject({
      mechanism: 'none',
      feeds: [],
      limit: 'content-hash',
      state: 'cannot-apply',
      listedSince: null,
    });
    // Even when the ISP says it applied it by other means, the view does not claim a feed applied it.
    expect((await ack(id, { status: 'applied' })).status).toBe(201);
    expect(await applicationOf(id)).toMatchObject({
      state: 'cannot-apply',
      acknowledgement: { status: 'applied' },
    });
  });

  it('a request folded into an open one reads how the shared order is applied', async () => {
    const issue = (key: string) =>
      call(key, 'POST', '/v1/orders', {
        kind: 'blocking',
        targetTenantId: 'isp-ap',
        subject: { type: 'url', value: `https://cdn.example/${tag}/shared.jpg` },
        legalBasisId: 'vn-decree-147-request',
      });
    const first = (await issue(api.keys.authority)).json<{ id: string }>().id;
    const folded = await issue(api.keys.second);
    expect(folded.status).toBe(201);
    const mine = folded.json<{ id: string; folded: boolean }>();
    expect(mine.folded).toBe(true);
    const serial = await pollFeed();
    expect((await ack(first, { status: 'applied' })).status).toBe(201);
    const res = await call(api.keys.second, 'GET', `/v1/orders/${mine.id}`);
    expect(res.json<{ application: Application }>().application).toMatchObject({
      mechanism: 'url-filter',
      state: 'applied',
      listedSince: serial,
      // The default note of an acknowledgement without one is not shown as the ISP's words.
      acknowledgement: { status: 'applied', note: null },
    });
  });

  it('a takedown, and a page of orders, carry no application', async () => {
    await upsertTenant(api.db, { id: 'plat-ap', kind: 'platform', name: 'p', subscribedToBlocking: false });
    const takedown = await openTestOrder(api.world, {
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: `https://cdn.example/${tag}/three.jpg`,
      targetTenantId: 'plat-ap',
      issuer: { kind: 'authority', id: 'auth-ap' },
      issuerTenantId: 'auth-ap',
    });
    expect(await applicationOf(takedown)).toBeUndefined();
    const page = await call(api.keys.authority, 'GET', '/v1/orders?kind=blocking');
    expect(page.json<{ orders: object[] }>().orders.every((o) => !('application' in o))).toBe(true);
  });
});

describe('placement and state (pure)', () => {
  const fits = () => true;
  it('places each subject as the feeds render it', () => {
    expect(placementOf({ type: 'url', value: 'http://a.example/x' }, fits).mechanism).toBe('url-filter');
    expect(placementOf({ type: 'host', value: 'a.example' }, fits).mechanism).toBe('dns');
    expect(placementOf({ type: 'host', value: 'a.example' }, () => false)).toEqual({
      mechanism: 'host-filter',
      feeds: ['domain-list'],
      limit: 'not-in-zone',
    });
    expect(placementOf({ type: 'host', value: '[2001:db8::1]' }, fits).limit).toBe('ip-host');
    expect(placementOf({ type: 'url', value: 'ftp://a.example/x' }, fits)).toEqual({
      mechanism: 'none',
      feeds: [],
      limit: 'not-listable',
    });
  });
  it('never calls a block applied that no feed carries, nor one whose order was reopened', () => {
    const none = { status: 'none' as const, at: null, note: null };
    const applied = { status: 'applied' as const, at: 'x', note: null };
    expect(
      blockStateOf({ mechanism: 'none', listedSince: null, acknowledgement: applied, status: 'actioned' }),
    ).toBe('cannot-apply');
    expect(
      blockStateOf({ mechanism: 'url-filter', listedSince: 3, acknowledgement: applied, status: 'reopened' }),
    ).toBe('listed');
    expect(
      blockStateOf({ mechanism: 'dns', listedSince: null, acknowledgement: none, status: 'withdrawn' }),
    ).toBe('ended');
  });
});
