import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, firstSignInAs, type PageWatch } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * Stored XSS against the console, in Debian's Chromium with the console's production build served by the API:
 * names an admin or a partner chooses (tenant names, people's display names) are stored with markup, script URLs
 * and event handlers in them, and every page that shows them (the administration page's tenants and people, the
 * order form's target list, the navigation's own name) shows them as text: no element made from them, no dialog,
 * nothing the page's policy had to refuse.
 */
const available = chromiumAvailable();

const MARKUP = `<img src=x onerror="window.__xss=1;alert(1)">"><svg onload=alert(2)>`;
const SCRIPT_URL = 'javascript:alert(3)//';
const STYLE = `</style><style>*{display:none}</style><a style="position:fixed" href="//evil.test">x</a>`;

let opened: ConsoleWorld | undefined;
let origin: string;
let page: Page;
let watch: PageWatch;
const dialogs: string[] = [];
let oneTime = '';

/** Nothing the stored names carry became markup: no element they would make, no script run, no dialog. */
async function nothingInjected(): Promise<void> {
  await page.waitForLoadState('networkidle');
  const hrefs: string[] = [];
  for (const a of await page.locator('a[href]').all()) hrefs.push((await a.getAttribute('href')) ?? '');
  const made = {
    imgs: await page.locator('img[src="x"], img[onerror]').count(),
    svgs: await page.locator('svg[onload]').count(),
    styles: await page.locator('style').count(),
    // Every link stays in the console: no script URL, no other site.
    links: hrefs.filter((h) => !h.startsWith('/console/') && !h.startsWith('#')),
    flag: await page.evaluate(() => (globalThis as { __xss?: number }).__xss ?? null),
  };
  expect(made).toEqual({ imgs: 0, svgs: 0, styles: 0, links: [], flag: null });
  expect(dialogs).toEqual([]);
  expect(watch.problems).toEqual([]);
}

describe.skipIf(!available)('stored XSS against the console', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'platform-x', kind: 'platform', name: `Platform ${MARKUP}` },
        { id: 'platform-y', kind: 'platform', name: SCRIPT_URL },
        { id: 'isp-x', kind: 'isp', name: `ISP ${STYLE}` },
      ],
      [
        { login: 'admin.xss', displayName: `Admin ${MARKUP}`, role: 'admin' },
        { login: 'other.xss', displayName: STYLE, role: 'reviewer' },
      ],
    );
    ({ origin, page, watch } = opened);
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    oneTime = opened.oneTimes['admin.xss'] ?? '';
  }, 180_000);
  afterAll(async () => opened?.close());

  it("shows tenants' and people's stored names as text on the administration page", async () => {
    await page.goto(`${origin}/console/`);
    await firstSignInAs(page, 'admin.xss', oneTime, 'a long enough pass phrase for xss');
    await page.goto(`${origin}/console/admin`);
    await page.waitForSelector('#tenants-title');
    // The tenants and the people are two lists, each loaded on its own: wait for both.
    await expect.poll(() => page.locator('main').textContent()).toContain(`Platform ${MARKUP}`);
    await expect.poll(() => page.locator('main').textContent()).toContain(`Admin ${MARKUP}`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(SCRIPT_URL);
    expect(text).toContain(`ISP ${STYLE}`);
    await nothingInjected();
  });

  it("shows the targets' stored names as text in the order form, and the person's own name in the menu", async () => {
    await page.goto(`${origin}/console/desk/new`);
    await expect
      .poll(() => page.locator('#issue-target option').allTextContents())
      .toEqual(expect.arrayContaining([`Platform ${MARKUP} (platform-x)`, `${SCRIPT_URL} (platform-y)`]));
    expect(await page.locator('nav').textContent()).toContain(`Admin ${MARKUP}`);
    await nothingInjected();
  });
});
