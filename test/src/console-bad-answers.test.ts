import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, firstSignInAs, type PageWatch } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * The console given answers it cannot trust or use, in Debian's Chromium with the production build served by the
 * API: the browser's routes stand in for an API (or whatever sits between it and the browser) that answers
 * wrongly. Each page must say what went wrong in words, and the person must never be left with a blank window or
 * told something that is not so.
 */
const available = chromiumAvailable();

let opened: ConsoleWorld | undefined;
let origin: string;
let browser: Browser;
let page: Page;
let watch: PageWatch;
let oneTime = '';
let newcomerOneTime = '';
let signedIn = false;

/** Signs the admin in (a first sign-in: new password, TOTP enrolment) the first time a test asks. */
async function signIn(): Promise<void> {
  if (signedIn) return;
  await page.goto(`${origin}/console/`);
  await firstSignInAs(page, 'admin.answers', oneTime, 'a long enough pass phrase for answers');
  signedIn = true;
}

/** Answers a browser request with JSON, as the API would, but with the body given. */
const answer = (route: Route, status: number, body: unknown) =>
  route.fulfill({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

/** Opens the console at `path` (below /console/) and waits for the page's alert to say `text`. */
async function expectPageAlert(path: string, text: string): Promise<void> {
  await page.goto(`${origin}/console/${path}`);
  await expect
    .poll(() => page.locator('main [role=alert]').textContent(), { timeout: 10_000 })
    .toContain(text);
}

/** Follows the link to the desk in `where` (the menu, or the page) and waits for the desk to render. */
async function toDeskFrom(where: 'nav' | 'main'): Promise<void> {
  await page.click(`${where} a[href="/console/desk"]`);
  await expect.poll(() => page.locator('#page-title').textContent()).toBe('Lệnh gỡ bỏ và chặn');
}

/** An export bundle of one record whose fields are not what the log writes (a tampered or forged bundle). */
function tamperedBundle() {
  const hex = (n: number) => 'ab'.repeat(n);
  const record = JSON.stringify({ seq: 0, time: 'not a time', actor: null, action: 'order.issued' });
  return {
    format: 'mod.audit.bundle.v2',
    scope: { kind: 'records', seqs: [0] },
    scopeSignature: { keyId: hex(16), signedAt: 'not a time either', signature: 'AAAA' },
    treeHead: {
      treeSize: 1,
      rootHash: hex(32),
      timestamp: 'when it suits',
      keyId: hex(16),
      signature: 'AAAA',
    },
    publicKeys: [{ keyId: hex(16), spki: 'AAAA' }],
    entries: [{ leafIndex: 0, record, leafHash: hex(32), inclusionProof: [] }],
  };
}

describe.skipIf(!available)('the console on answers it cannot use', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [{ id: 'ops', kind: 'admin', role: 'admin' }],
      [
        { login: 'admin.answers', displayName: 'Admin', role: 'admin' },
        { login: 'newcomer.answers', displayName: 'Newcomer', role: 'reviewer' },
      ],
    );
    ({ origin, browser, page, watch } = opened);
    oneTime = opened.oneTimes['admin.answers'] ?? '';
    newcomerOneTime = opened.oneTimes['newcomer.answers'] ?? '';
  }, 180_000);
  afterAll(async () => opened?.close());

  it('says in words that a page cannot show an answer it cannot use, and keeps the menu to go elsewhere', async () => {
    await signIn();
    const id = '00000000-0000-4000-8000-0000000000b1';
    // An order without its clock, subject or history: the page cannot render it.
    await page.route(`**/v1/orders/${id}`, (route) => answer(route, 200, { id, status: 'issued' }));
    try {
      await expectPageAlert(`desk/orders/${id}`, 'Trang này không hiển thị được câu trả lời của máy chủ');
      expect(await page.locator('nav').count()).toBe(1);
      // The menu still works: another page renders afresh.
      await toDeskFrom('nav');
      expect(await page.locator('main [role=alert]').count()).toBe(0);
    } finally {
      await page.unroute(`**/v1/orders/${id}`);
    }
  });

  it('says a console address that names no page names none, rather than loading for ever', async () => {
    await signIn();
    for (const path of ['no-such-page', 'desks', '/evil.test/x']) {
      await expectPageAlert(path, 'Không có trang này trong bảng điều khiển');
      expect(await page.locator('main [role=status]').count()).toBe(0);
    }
    await toDeskFrom('main');
  });

  it('shows a tampered audit bundle as failing verification, its odd times and actor as given', async () => {
    await signIn();
    await page.route('**/v1/audit/export?**', (route) => answer(route, 200, tamperedBundle()));
    try {
      await page.goto(`${origin}/console/audit?ref=o_1`);
      await expect
        .poll(() => page.locator('[data-testid=audit-verdict]').textContent(), { timeout: 10_000 })
        .toBe('KHÔNG kiểm chứng được: có bước kiểm tra thất bại');
      expect(await page.locator('nav').count()).toBe(1);
      const row = page.locator('[data-testid=audit-record]');
      expect(await row.count()).toBe(1);
      expect(await row.textContent()).toContain('not a time');
      expect(await page.locator('main').textContent()).toContain('when it suits');
      expect(watch.problems).toEqual([]);
    } finally {
      await page.unroute('**/v1/audit/export?**');
    }
  });

  it('lets a person leave a first sign-in half done: sign-out at the new-password stage ends that session', async () => {
    // Another browser (a shared staff computer): the newcomer signs in with the one-time password and walks away.
    const context = await browser.newContext();
    const other = await context.newPage();
    try {
      await other.goto(`${origin}/console/`);
      await other.fill('#login', 'newcomer.answers');
      await other.fill('#password', newcomerOneTime);
      await other.click('button[type=submit]');
      await expect
        .poll(() => other.locator('#page-title').textContent(), { timeout: 15_000 })
        .toBe('Đặt mật khẩu mới');
      await other.click('header .leave button');
      await other.waitForSelector('#login');
      // Whoever sits down next finds nobody signed in: no password to set for the newcomer, no authenticator to enrol.
      await other.reload();
      await other.waitForSelector('#login');
      expect(await other.locator('#new-password').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  // Last: it ends the session.
  it('says a sign-out the API did not take failed, and shows the sign-in page only once the session has ended', async () => {
    await signIn();
    await page.goto(`${origin}/console/desk`);
    await page.waitForSelector('nav');
    await page.route('**/v1/session', (route) =>
      route.request().method() === 'DELETE'
        ? answer(route, 503, { error: { code: 'MOD_ERR_API_UNAVAILABLE', message: 'database unavailable' } })
        : route.continue(),
    );
    try {
      await page.click('nav button');
      await expect
        .poll(() => page.locator('nav [role=alert]').textContent(), { timeout: 10_000 })
        .toContain('Chưa đăng xuất được');
      expect(await page.locator('nav [role=alert]').textContent()).toContain('MOD_ERR_API_UNAVAILABLE');
      // Still signed in, and the page says so: no sign-in form over a live session.
      expect(await page.locator('#login').count()).toBe(0);
    } finally {
      await page.unroute('**/v1/session');
    }
    await page.click('nav button');
    await page.waitForSelector('#login');
    // The API ended it: a reload finds nobody signed in.
    await page.reload();
    await page.waitForSelector('#login');
    expect(await page.locator('nav').count()).toBe(0);
  });
});
