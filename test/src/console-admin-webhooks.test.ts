import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { getWebhookEndpoint } from '@mod/db/orders';
import type { Resolver } from '@mod/urls/fetch';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * An authority's order webhook on the console's admin page, in Debian's Chromium with the production build served
 * by the API on a real PostgreSQL: the admin sees every tenant's webhook (target, secret set or not, who set it,
 * deliveries); targets the API refuses (an IP literal, a name resolving to a private address) are refused in
 * Vietnamese and in English with their codes; a public one is set (the new secret shown once, the record naming
 * the admin) and cleared again. The API asks the authority's zone below (nothing leaves the machine). axe on each
 * state, screenshots.
 */
const available = chromiumAvailable();
const audit = pageAudit();
const zone: Record<string, string> = {
  'hooks.bo-cong-an.test': '93.184.215.14',
  'internal.bo-cong-an.test': '10.0.0.5',
};
const resolver: Resolver = (name) => {
  const address = zone[name];
  return address === undefined
    ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }))
    : Promise.resolve([{ address, family: 4 }]);
};
const TARGET = 'https://hooks.bo-cong-an.test/orders';

let opened: ConsoleWorld | undefined;
let page: Page;

const row = (tenantId: string) => page.locator(`[data-testid=webhooks] tr[data-tenant="${tenantId}"]`);
const setError = () => page.locator('form[aria-labelledby=webhook-set-title] [role=alert]').textContent();
const done = () => page.locator('[data-testid=webhook-done]').textContent();
const records = async (action: string) =>
  (await listAudit(opened!.world.db, { limit: 100_000 })).filter(
    (r) => r.action === action && r.subject.id === 'bo-cong-an',
  );

async function tryTarget(url: string): Promise<void> {
  await page.fill('#webhook-url', url);
  await page.click('form[aria-labelledby=webhook-set-title] button[type=submit]');
}

describe.skipIf(!available)("an authority's order webhook on the admin page", () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'bo-cong-an', kind: 'authority', name: 'Bộ Công an' },
        { id: 'isp-1', kind: 'isp' },
        { id: 'hotline-1', kind: 'hotline' },
      ],
      [{ login: 'admin.webhooks', displayName: 'Trần Quản Trị', role: 'admin' }],
      { webhookTargets: { resolver } },
    );
    page = opened.page;
    audit.watch(page, opened.origin);
  }, 180_000);
  afterAll(async () => opened?.close());

  it('refuses unsafe targets in both languages, sets a public one with its secret shown once, and clears it', async () => {
    const o = opened!;
    await page.goto(`${o.origin}/console/`);
    await firstSignInAs(
      page,
      'admin.webhooks',
      o.oneTimes['admin.webhooks'] ?? '',
      'a long pass phrase for hooks',
    );
    await page.goto(`${o.origin}/console/admin`);
    await page.waitForSelector('[data-testid=webhooks] tr[data-tenant="bo-cong-an"]');
    // Every tenant orders are pushed to, none set yet; not the hotline nor the admin's own tenant.
    expect(await page.locator('[data-testid=webhooks] tbody tr').evaluateAll((rows) => rows.length)).toBe(2);
    expect(await row('bo-cong-an').locator('[data-testid=webhook-url]').textContent()).toBe('Chưa đặt');
    expect(await row('hotline-1').count()).toBe(0);

    // An IP literal (loopback here) is no public name; a name resolving to a private address is refused too.
    await tryTarget('https://127.0.0.1/orders');
    await expect
      .poll(setError)
      .toContain('Địa chỉ không hợp lệ: phải là https:// trên một tên miền công khai');
    expect(await setError()).toContain('(MOD_ERR_API_VALIDATION)');
    await tryTarget('https://internal.bo-cong-an.test/orders');
    await expect.poll(setError).toContain('Địa chỉ bị từ chối: tên máy chủ phải phân giải được');
    expect(await setError()).toContain('(MOD_ERR_API_WEBHOOK_TARGET_REFUSED)');
    await audit.look(page, 'admin-webhooks-01-refused');
    await page.selectOption('#language', 'en');
    await tryTarget('https://internal.bo-cong-an.test/orders');
    await expect
      .poll(setError)
      .toBe(
        'Address refused: the host name must resolve, and only to public addresses (not internal, loopback or private ones). (MOD_ERR_API_WEBHOOK_TARGET_REFUSED)',
      );
    await audit.look(page, 'admin-webhooks-02-refused-english');
    await page.selectOption('#language', 'vi');
    expect(await getWebhookEndpoint(o.world.db, 'bo-cong-an')).toBeNull();
    expect(await records('webhook.set')).toEqual([]);

    // A public target: set, audited under the admin's name, its new secret shown once and nowhere in the table.
    await tryTarget(TARGET);
    await expect.poll(done).toBe('Đã đặt webhook của bo-cong-an (đã ghi vào nhật ký kiểm toán).');
    const shown = (await page.locator('[data-testid=shown-once]').textContent()) ?? '';
    const stored = await getWebhookEndpoint(o.world.db, 'bo-cong-an');
    expect([stored?.url, stored?.secret]).toEqual([TARGET, shown]);
    await expect
      .poll(() => row('bo-cong-an').locator('[data-testid=webhook-url]').textContent())
      .toBe(TARGET);
    const [set] = await records('webhook.set');
    expect([set?.actor.kind, set?.role, set?.tenantId]).toEqual(['person', 'admin', 'ops']);
    const text = (await row('bo-cong-an').textContent()) ?? '';
    expect(text).toContain(`bởi Quản trị viên ${set?.actor.id} (ops)`);
    expect(text).toContain('Đã đặt');
    expect(text).toContain('Chưa gửi lần nào');
    expect(await page.locator('[data-testid=webhooks]').textContent()).not.toContain(shown);
    await audit.look(page, 'admin-webhooks-03-set');
    // After a reload the secret is gone for good; the table still says one is set.
    await page.reload();
    await expect
      .poll(() => row('bo-cong-an').locator('[data-testid=webhook-url]').textContent())
      .toBe(TARGET);
    expect(await page.locator('[data-testid=shown-once]').count()).toBe(0);
    expect(await page.content()).not.toContain(shown);

    // Cleared, after a confirmation: nothing pushed to it any more, on the record.
    await row('bo-cong-an').locator('button', { hasText: 'Xoá webhook' }).click();
    await row('bo-cong-an').locator('button', { hasText: 'Xác nhận xoá webhook của bo-cong-an' }).click();
    await expect.poll(done).toContain('Đã xoá webhook của bo-cong-an');
    await expect
      .poll(() => row('bo-cong-an').locator('[data-testid=webhook-url]').textContent())
      .toBe('Chưa đặt');
    expect(await getWebhookEndpoint(o.world.db, 'bo-cong-an')).toBeNull();
    const [cleared] = await records('webhook.cleared');
    expect([cleared?.actor, cleared?.role]).toEqual([set?.actor, 'admin']);
    expect(await row('bo-cong-an').textContent()).toContain(`Xoá lúc`);
    await audit.look(page, 'admin-webhooks-04-cleared');

    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  }, 180_000);
});
