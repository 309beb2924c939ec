import { chromium, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, chromiumAvailable, firstSignInAs } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * A console left open on an unattended screen, in Debian's Chromium with the production build served by the API:
 * the desk reads the orders again every 30 s by itself, and such a read must not count as the person's use of
 * the session, or the session never goes idle (an officer's desk, showing what was reported, open to whoever
 * passes by until the session's absolute end). The API's clock and the page's are moved on by hand: the API's
 * by an offset, the page's with Playwright's clock (the desk's timer fires at once). And a console the person
 * left for another page in the tab, which the browser brings back on Back from its back-forward cache as it was,
 * must not show what it showed once the session has ended. Nor may a first sign-in left at its new-password step
 * stay on that step once its session ended.
 */
const available = chromiumAvailable();
const IDLE_MS = 60_000;

let opened: ConsoleWorld | undefined;
let page: Page;
let aheadMs = 0;

/** The desk's next read of the orders, and whether it said it was the desk's own. */
async function nextOrdersRead(act: () => Promise<void>): Promise<{ background: boolean; status: number }> {
  const isOrders = (r: Request) => new URL(r.url()).pathname === '/v1/orders';
  const request = page.waitForRequest(isOrders);
  const response = page.waitForResponse((r) => isOrders(r.request()));
  await act();
  const [sent, answered] = await Promise.all([request, response]);
  return { background: sent.headers()['x-background-refresh'] === '1', status: answered.status() };
}

/** Signs `login` in for the first time on `tab`, whose clock the test moves on (Playwright's clock). */
async function signInOnOwnClock(tab: Page, login: string): Promise<void> {
  await tab.clock.install();
  await tab.goto(`${opened!.origin}/console/`);
  await firstSignInAs(
    tab,
    login,
    opened!.oneTimes[login] ?? '',
    'a long enough pass phrase, on its own clock',
  );
}

describe.skipIf(!available)('the console left unattended', () => {
  beforeAll(async () => {
    // Administrators (the desk is theirs too), one for each test.
    const admins = ['admin.idle', 'admin.back', 'admin.check', 'admin.step'].map((login) => ({
      login,
      displayName: 'Admin',
      role: 'admin',
    }));
    opened = await openConsoleWorld([{ id: 'ops', kind: 'admin', role: 'admin' }], admins, {
      now: () => new Date(Date.now() + aheadMs),
      people: { idleTimeoutMs: IDLE_MS },
    });
    page = opened.page;
  }, 180_000);
  afterAll(async () => opened?.close());

  it("signs out after the idle timeout though the desk refreshes itself; a person's own refresh keeps it", async () => {
    await signInOnOwnClock(page, 'admin.idle');
    await expect.poll(() => page.textContent('#page-title')).toBe('Lệnh gỡ bỏ và chặn');
    // The desk's first read done: a read still on its way would be taken for the next one.
    await page.waitForLoadState('networkidle');
    // 40 s on, the person presses Refresh: that is use.
    aheadMs += 40_000;
    const pressed = await nextOrdersRead(() => page.click('button:has-text("Làm mới")'));
    expect(pressed).toEqual({ background: false, status: 200 });
    // 80 s on, the desk refreshes itself: the session, used 40 s ago, is live.
    aheadMs += 40_000;
    const refreshed = await nextOrdersRead(() => page.clock.fastForward(31_000));
    expect(refreshed).toEqual({ background: true, status: 200 });
    // 130 s on, nobody touched anything for 90 s: the desk's next read finds the session ended, and says so.
    aheadMs += 50_000;
    const ended = await nextOrdersRead(() => page.clock.fastForward(31_000));
    expect(ended).toEqual({ background: true, status: 401 });
    await expect
      .poll(() => page.textContent('main'))
      .toContain('Phiên làm việc đã kết thúc. Hãy đăng nhập lại.');
    expect(await page.textContent('#page-title')).not.toBe('Lệnh gỡ bỏ và chặn');
  });

  it('shows nothing it showed when Back brings it again after the session ended, and goes on while it lives', async () => {
    aheadMs = 0;
    // Playwright turns the back-forward cache off; browsers people use have it on.
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
      ignoreDefaultArgs: ['--disable-back-forward-cache'],
    });
    try {
      const tab = await (await browser.newContext()).newPage();
      const origin = opened!.origin;
      await tab.goto(`${origin}/console/`);
      await firstSignInAs(
        tab,
        'admin.back',
        opened!.oneTimes['admin.back'] ?? '',
        'a long enough pass phrase too',
      );
      const title = () => tab.textContent('#page-title');
      await expect.poll(title).toBe('Lệnh gỡ bỏ và chặn');
      /** Leaves for the public form in the same tab and comes Back: the session reads the console asked for. */
      const awayAndBack = async () => {
        await tab.goto(`${origin}/report`);
        const asked: string[] = [];
        const note = (r: Request) => {
          if (new URL(r.url()).pathname === '/v1/session') asked.push(r.method());
        };
        tab.on('request', note);
        // A page out of the cache fires no load event: the navigation is done once committed.
        await tab.goBack({ waitUntil: 'commit' });
        return asked;
      };
      // Live: the desk again, once the API said so.
      expect(await awayAndBack()).toEqual(['GET']);
      await expect.poll(title).toBe('Lệnh gỡ bỏ và chặn');
      expect(await tab.getAttribute('body', 'hidden')).toBeNull();
      // Ended (idle for an hour) while the person was away: the sign-in page, not the desk as it was.
      aheadMs += 3_600_000;
      expect(await awayAndBack()).toEqual(['GET']);
      await expect
        .poll(() => tab.textContent('main'))
        .toContain('Phiên làm việc đã kết thúc. Hãy đăng nhập lại.');
      expect(await title()).not.toBe('Lệnh gỡ bỏ và chặn');
      expect(await tab.getAttribute('body', 'hidden')).toBeNull();
    } finally {
      await browser.close();
    }
  });

  it('shows the sign-in page once the session ended on a page that asks nothing more, and its checks are no use', async () => {
    aheadMs = 0;
    const tab = await (await opened!.browser.newContext()).newPage();
    await signInOnOwnClock(tab, 'admin.check');
    await tab.goto(`${opened!.origin}/console/admin`);
    await expect.poll(() => tab.textContent('#page-title')).toBe('Quản trị');
    await tab.waitForLoadState('networkidle');
    /** The console's next look at its session, a minute on, and what the API said. */
    const nextCheck = async () => {
      const isSession = (r: Request) => new URL(r.url()).pathname === '/v1/session';
      const sent = tab.waitForRequest(isSession);
      const answered = tab.waitForResponse((r) => isSession(r.request()));
      await tab.clock.fastForward(61_000);
      const [request, response] = await Promise.all([sent, answered]);
      return { background: request.headers()['x-background-refresh'], status: response.status() };
    };
    // 40 s on, the session lives: the page stays.
    aheadMs += 40_000;
    expect(await nextCheck()).toEqual({ background: '1', status: 200 });
    expect(await tab.textContent('#page-title')).toBe('Quản trị');
    // 80 s on, unused since the page was read (that check was no use): ended, and the page goes.
    aheadMs += 40_000;
    expect(await nextCheck()).toEqual({ background: '1', status: 401 });
    await expect
      .poll(() => tab.textContent('main'))
      .toContain('Phiên làm việc đã kết thúc. Hãy đăng nhập lại.');
    await tab.context().close();
  });

  it('shows the sign-in page, saying the session ended, when it ended during the new-password step', async () => {
    aheadMs = 0;
    const tab = await (await opened!.browser.newContext()).newPage();
    await tab.goto(`${opened!.origin}/console/`);
    await tab.fill('#login', 'admin.step');
    await tab.fill('#password', opened!.oneTimes['admin.step'] ?? '');
    await tab.click('button[type=submit]');
    const title = () => tab.textContent('#page-title');
    await expect.poll(title, { timeout: 15_000 }).toBe('Đặt mật khẩu mới');
    // Left at the step past the idle timeout: the API answers the new password 401.
    aheadMs += IDLE_MS + 1000;
    await tab.fill('#new-password', 'a pass phrase typed too late');
    await tab.fill('#new-password-again', 'a pass phrase typed too late');
    const answered = tab.waitForResponse((r) => new URL(r.url()).pathname === '/v1/session/password');
    await tab.click('button[type=submit]');
    expect((await answered).status()).toBe(401);
    await expect.poll(title).toBe('Đăng nhập');
    expect(await tab.textContent('main')).toContain('Phiên làm việc đã kết thúc. Hãy đăng nhập lại.');
    await tab.context().close();
  });
});
