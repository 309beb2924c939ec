import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrder } from '@mod/db/orders';
import { seedTenants, testOrder } from '@mod/testing';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * How a blocking request is applied, on the console's order page, in Debian's Chromium with the production build
 * served by the API on a real PostgreSQL: an authority officer sees that a block of one image on a shared host is
 * applied by the ISP's URL filter (never DNS: the RPZ would block the whole host), after the ISP read it from its
 * JSON URL feed over HTTP and acknowledged it; that the same block is not yet in another ISP's feed; that a host
 * block goes through DNS (RPZ); and that a content-hash block no feed carries is a warning, never shown as
 * blocked. Vietnamese and English; axe on each state, screenshots.
 */
const available = chromiumAvailable();
const audit = pageAudit();
const tag = randomBytes(4).toString('hex');
const IMAGE = `https://anh.example/${tag}/album/42.jpg`;

let opened: ConsoleWorld | undefined;
let page: Page;
let ispKey = '';
const ids = { applied: '', notListed: '', host: '', hash: '' };

const title = () => page.locator('#page-title').textContent();
const text = (id: string) => page.locator(`[data-testid=${id}]`).textContent();

async function openOrderPage(id: string): Promise<void> {
  await page.goto(`${opened!.origin}/console/desk/orders/${id}`);
  await page.waitForSelector('[data-testid=block-state]');
  await page.waitForLoadState('networkidle');
}

/** A call of the ISP over HTTP on loopback, as its filtering proxy makes it. */
async function asIsp(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${opened!.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ispKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe.skipIf(!available)('how a blocking request is applied, on the order page', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'auth-ba', kind: 'authority' },
        { id: 'isp-late', kind: 'isp' },
      ],
      [],
    );
    page = opened.page;
    audit.watch(page, opened.origin);
    const db = opened.world.db;
    const keys = await seedTenants(db, [
      { id: 'ops-people', kind: 'admin', role: 'admin' },
      { id: 'isp-proxy', kind: 'isp', role: 'isp' },
    ]);
    ispKey = keys['isp-proxy']!;
    const made = await opened.app.inject({
      method: 'POST',
      url: '/v1/admin/people',
      headers: { authorization: `Bearer ${keys['ops-people']}` },
      payload: { tenantId: 'auth-ba', login: 'officer.ba', displayName: 'Trần Thị Ba', role: 'authority' },
    });
    expect(made.statusCode, made.body).toBe(201);
    opened.oneTimes['officer.ba'] = made.json<{ oneTimePassword: string }>().oneTimePassword;
    const issue = async (
      target: string,
      subjectType: 'url' | 'host' | 'content-hash',
      subjectValue: string,
    ) =>
      (
        await openOrder(
          db,
          testOrder({
            kind: 'blocking',
            subjectType,
            subjectValue,
            targetTenantId: target,
            issuer: { kind: 'authority', id: 'auth-ba' },
            issuerTenantId: 'auth-ba',
          }),
        )
      ).id;
    ids.applied = await issue('isp-proxy', 'url', IMAGE);
    ids.notListed = await issue('isp-late', 'url', IMAGE);
    ids.host = await issue('isp-proxy', 'host', `kho-${tag}.example`);
    ids.hash = await issue('isp-proxy', 'content-hash', randomBytes(32).toString('hex'));
  }, 180_000);
  afterAll(async () => opened?.close());

  it("the ISP's proxy reads the image's URL from its JSON feed and acknowledges it", async () => {
    const feed = await asIsp('GET', '/v1/isp/feeds/url-list.json');
    expect(feed.status).toBe(200);
    const body = (await feed.json()) as { entries: { url: string; orderIds: string[] }[] };
    expect(body.entries).toContainEqual({ url: `anh.example/${tag}/album/42.jpg`, orderIds: [ids.applied] });
    expect(JSON.stringify(body)).not.toContain(`kho-${tag}`);
    const ack = await asIsp('POST', `/v1/isp/blocking-requests/${ids.applied}/acknowledgements`, {
      status: 'applied',
      reason: 'Đã thêm vào proxy lọc URL',
    });
    expect(ack.status).toBe(201);
  });

  it('shows the officer each block’s mechanism and acknowledgement, a block no feed carries as a warning', async () => {
    await page.goto(`${opened!.origin}/console/`);
    await firstSignInAs(page, 'officer.ba', opened!.oneTimes['officer.ba'] ?? '', 'một cụm mật khẩu đủ dài');
    await openOrderPage(ids.applied);
    expect(await title()).toBe('Lệnh');
    expect(await text('block-state')).toBe('isp-proxy xác nhận đã áp dụng.');
    expect(await text('block-mechanism')).toBe(
      'Bộ lọc URL trên proxy HTTP của ISP: chỉ chặn đúng địa chỉ này',
    );
    expect(await text('block-feeds')).toBe('Danh sách URL');
    expect(await text('block-ack')).toMatch(/^Đã áp dụng \(.*\d{4}.*\): Đã thêm vào proxy lọc URL$/);
    expect(await text('block-application')).toContain('không đưa vào RPZ, vì DNS chỉ chặn được cả tên miền');
    expect(await text('block-https')).toBe(
      'Proxy chỉ thấy đường dẫn của địa chỉ HTTPS khi ISP giải mã TLS; nếu không, ISP sẽ báo không áp dụng được',
    );
    await audit.look(page, 'block-application-url-applied');

    await openOrderPage(ids.notListed);
    expect(await text('block-state')).toBe(
      'Chưa vào nguồn cấp của isp-late: ISP chưa tải nguồn cấp kể từ khi lệnh được ban hành. Chưa bị chặn.',
    );
    expect(await page.getAttribute('[data-testid=block-state]', 'class')).toContain('notice-warn');
    expect(await text('block-ack')).toBe('Chưa xác nhận');

    await openOrderPage(ids.host);
    expect(await text('block-mechanism')).toBe('DNS (RPZ): chặn cả tên miền và mọi tên miền con');
    expect(await text('block-feeds')).toBe('RPZ (DNS), Danh sách tên miền');
    expect(await page.locator('[data-testid=block-https]').count()).toBe(0);
    expect(await text('block-state')).toBe('Đã vào nguồn cấp của isp-proxy; ISP chưa xác nhận đã áp dụng.');

    await openOrderPage(ids.hash);
    expect(await text('block-state')).toBe(
      'Không ISP nào áp dụng được lệnh này qua nguồn cấp: nội dung CHƯA bị chặn bằng DNS hay bộ lọc.',
    );
    expect(await page.getAttribute('[data-testid=block-state]', 'class')).toContain('notice-warn');
    expect(await text('block-feeds')).toBe('Không có');
    await audit.look(page, 'block-application-cannot-apply');
  }, 120_000);

  it('says it in English too', async () => {
    await openOrderPage(ids.applied);
    await page.selectOption('#language', 'en');
    await expect.poll(title).toBe('Order');
    expect(await text('block-state')).toBe('isp-proxy acknowledged applying it.');
    expect(await text('block-mechanism')).toBe(
      "URL filter on the ISP's HTTP proxies: blocks this address only",
    );
    expect(await text('block-application')).toContain(
      'not in the RPZ, because DNS can only block the whole host',
    );
    await audit.look(page, 'block-application-url-applied-english');
    await page.selectOption('#language', 'vi');
  });

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings)).toHaveLength(3);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
