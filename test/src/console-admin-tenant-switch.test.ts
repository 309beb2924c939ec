import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants } from '@mod/testing';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { addLiveSessions, liveSessions } from './console-sessions.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * A tenant switched off and on again on the console's admin page, in Debian's Chromium with the production build
 * served by the API on a real PostgreSQL, as an admin does it: asked for in the tenant's row, confirmed (a cancel
 * changes nothing), then the page says how many sessions of its people the switch-off ended, in Vietnamese and in
 * English; an admin's own tenant is refused with the reason shown. A curator of the same tenant has no admin page
 * and no switch, and the API refuses the switch to a credential that is not an admin's. axe on each state,
 * screenshots.
 */
const available = chromiumAvailable();
const audit = pageAudit();

let opened: ConsoleWorld | undefined;
let page: Page;
let keys: Record<string, string>;

const done = () => page.locator('[data-testid=tenant-switch-done]');
const row = (tenant: string) =>
  page.locator('section[aria-labelledby=tenants-title] tbody tr', {
    has: page.locator('th', { hasText: new RegExp(`^${tenant}$`) }),
  });
const disabled = async (tenant: string) =>
  (await opened!.world.db.query(`select 1 from tenants where id = $1 and disabled_at is not null`, [tenant]))
    .rowCount === 1;

/** A person of `tenant` added through the API, signed in `sessions` times. */
async function personWithSessions(tenant: string, login: string, sessions: number): Promise<void> {
  const o = opened!;
  const made = await o.app.inject({
    method: 'POST',
    url: '/v1/admin/people',
    headers: { authorization: `Bearer ${keys['ops2']}` },
    payload: { tenantId: tenant, login, displayName: login, role: 'authority' },
  });
  expect(made.statusCode, made.body).toBe(201);
  await addLiveSessions(o.world.db, login, sessions);
}

const PEOPLE = [
  { login: 'admin.tenants', displayName: 'admin.tenants', role: 'admin' },
  { login: 'staff.curator', displayName: 'staff.curator', role: 'curator' },
];

describe.skipIf(!available)('a tenant switched off and on on the admin page', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'auth-x', kind: 'authority', role: 'authority' },
      ],
      PEOPLE,
    );
    keys = await seedTenants(opened.world.db, [
      { id: 'ops2', kind: 'admin', role: 'admin' },
      { id: 'auth-y', kind: 'authority', role: 'authority' },
    ]);
    page = opened.page;
    audit.watch(page, opened.origin);
  }, 180_000);
  afterAll(async () => opened?.close());

  it('is confirmed, ends its people sessions and says how many, in both languages', async () => {
    await personWithSessions('auth-x', 'officer.one', 2);
    await personWithSessions('auth-x', 'officer.two', 1);
    const o = opened!;
    await page.goto(`${o.origin}/console/`);
    await firstSignInAs(page, 'admin.tenants', o.oneTimes['admin.tenants'] ?? '', 'pass phrase 2');
    await page.goto(`${o.origin}/console/admin`);

    // Asked, then cancelled: nothing changes.
    await row('auth-x').locator('button', { hasText: 'Tắt đơn vị' }).click();
    await row('auth-x').getByText('Tắt đơn vị auth-x? Mọi khoá API').waitFor();
    await audit.look(page, 'admin-tenant-switch-01-confirm');
    await row('auth-x').locator('button', { hasText: 'Huỷ' }).click();
    expect(await disabled('auth-x')).toBe(false);
    expect(await liveSessions(o.world.db, { tenant: 'auth-x' })).toBe(3);

    // Asked and confirmed: switched off, the three sessions ended, and the page says so.
    await row('auth-x').locator('button', { hasText: 'Tắt đơn vị' }).click();
    await row('auth-x').locator('button', { hasText: 'Xác nhận tắt auth-x' }).click();
    await expect
      .poll(() => done().textContent())
      .toBe('Đã tắt đơn vị auth-x: 3 phiên đăng nhập đã kết thúc.');
    await row('auth-x').locator('button', { hasText: 'Bật lại đơn vị' }).waitFor();
    expect(await row('auth-x').locator('td').nth(3).textContent()).toBe('Tắt');
    expect(await disabled('auth-x')).toBe(true);
    expect(await liveSessions(o.world.db, { tenant: 'auth-x' })).toBe(0);
    await audit.look(page, 'admin-tenant-switch-02-off');
    await page.selectOption('#language', 'en');
    await expect.poll(() => done().textContent()).toBe('Tenant auth-x switched off: 3 sessions ended.');
    await audit.look(page, 'admin-tenant-switch-03-off-en');
    await page.selectOption('#language', 'vi');

    // Switched on again, confirmed as well.
    await row('auth-x').locator('button', { hasText: 'Bật lại đơn vị' }).click();
    await row('auth-x').locator('button', { hasText: 'Xác nhận bật lại auth-x' }).click();
    await expect
      .poll(() => done().textContent())
      .toBe('Đã bật lại đơn vị auth-x: 0 phiên đăng nhập còn sót đã kết thúc.');
    expect(await disabled('auth-x')).toBe(false);

    // The admin's own tenant: the API refuses, and the page says why.
    await row('ops').locator('button', { hasText: 'Tắt đơn vị' }).click();
    await row('ops').locator('button', { hasText: 'Xác nhận tắt ops' }).click();
    const refused = page.locator('section[aria-labelledby=tenants-title] [role=alert]');
    await expect.poll(() => refused.textContent()).toContain('Không thể làm việc này với chính bạn');
    expect(await done().count()).toBe(0);
    expect(await disabled('ops')).toBe(false);
    await audit.look(page, 'admin-tenant-switch-04-own-refused');

    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  }, 180_000);

  it('is neither shown to nor allowed for anyone but an admin', async () => {
    const o = opened!;
    const context = await o.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const curator = await context.newPage();
      audit.watch(curator, o.origin);
      await curator.goto(`${o.origin}/console/`);
      await firstSignInAs(curator, 'staff.curator', o.oneTimes['staff.curator'] ?? '', 'pass phrase 3');
      expect(await curator.locator('nav a[href$="/admin"]').count()).toBe(0);
      await curator.goto(`${o.origin}/console/admin`);
      await expect.poll(() => curator.locator('#page-title').textContent()).toBe('Không tìm thấy trang');
      expect(await curator.locator('button', { hasText: 'Tắt đơn vị' }).count()).toBe(0);
      await audit.look(curator, 'admin-tenant-switch-05-curator');
    } finally {
      await context.close();
    }
    // The API: an authority's credential may not switch a tenant off (before the check of the tenant itself).
    const refused = await o.app.inject({
      method: 'PATCH',
      url: '/v1/admin/tenants/auth-x',
      headers: { authorization: `Bearer ${keys['auth-y']}` },
      payload: { disabled: true },
    });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(await disabled('auth-x')).toBe(false);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  }, 180_000);
});
