import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '@mod/kafka';
import { parseSecretKey } from '@mod/people';
import {
  chromiumAvailable,
  launchChromium,
  pageAudit,
  PHONE_WITHOUT_SCRIPTS,
  screenshot,
} from './console-browser.js';
import { buildWorldApp, createWorld, listenOnLoopback, type World } from './helpers.js';

/*
 * The public report form as a citizen uses it, in Debian's Chromium, on what went wrong before:
 * - the form sent twice (the browser's second press, or a phone network's retry: the server gets the same form
 *   twice and the browser shows the answer to the second) was charged twice to the per-address limit: the citizen
 *   was shown "too many reports" for the report just filed;
 * - on a refused form, the language link opened an empty form: everything typed was lost.
 * Each test has an API instance of its own on loopback (the browser's address is always 127.0.0.1: an instance's
 * limits are the test's own), with a frozen clock, letting an address file one report. Axe on the pages with
 * scripts (axe runs in the page); screenshots of every state in test/console-screenshots/.
 */
const available = chromiumAvailable();
const audit = pageAudit();
const world: World = createWorld();
let producer: Producer | undefined;
const apps: FastifyInstance[] = [];
let browser: Browser | undefined;
let phone: BrowserContext;
let desktop: BrowserContext;

/** A new API instance on the world, listening on loopback: its origin. */
async function serveForm(): Promise<string> {
  const at = new Date();
  const app = await buildWorldApp(world, producer!, {
    now: () => at,
    reports: {
      contactKey: parseSecretKey(randomBytes(32).toString('base64')),
      plain: { perHour: 1, burst: 1 },
      proven: { perHour: 1, burst: 1 },
      powBits: 8,
    },
  });
  apps.push(app);
  return listenOnLoopback(app);
}

/** A page of `context` on the form (`path`) of an API instance of its own, watched. */
async function openForm(context: BrowserContext, path: string): Promise<Page> {
  const origin = await serveForm();
  const page = await context.newPage();
  audit.watch(page, origin);
  await page.goto(`${origin}${path}`);
  return page;
}

const reportCount = async () =>
  Number((await world.db.query<{ n: string }>('select count(*) as n from reports')).rows[0]?.n);

/** Waits for the page to show `text` in `selector` (the answer to a post, when it arrives), and only that. */
async function shows(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).waitFor();
  expect(await page.locator(selector).textContent()).toBe(text);
}

/** What the form shows typed (the language's labels). */
const typedIn = async (page: Page) => ({
  urls: await page.inputValue('#urls'),
  seen: await page.inputValue('#seen-where'),
  kind: await page.isChecked('#category-grooming'),
  text: await page.inputValue('#description'),
  name: await page.inputValue('#name'),
  consent: await page.isChecked('#consent-contact'),
});

describe.skipIf(!available)('the public report form sent twice, and switched to the other language', () => {
  beforeAll(async () => {
    await world.ready;
    producer = await createProducer(world.kafka);
    browser = await launchChromium();
    phone = await browser.newContext(PHONE_WITHOUT_SCRIPTS);
    desktop = await browser.newContext({ locale: 'en-GB' });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    for (const app of apps) await app.close();
    await producer?.disconnect();
    await world.drop();
  });

  it('keeps what was typed on a refused form when the language is switched, both ways, without JavaScript', async () => {
    const page = await openForm(phone, '/report');
    const sent: string[] = [];
    page.on('request', (r) => sent.push(r.url()));
    await page.getByLabel('Đường dẫn (URL)').fill('trang-web-khong-co-http');
    await page.getByLabel('Bạn thấy nội dung ở đâu?').fill('Nhóm Zalo của lớp');
    await page.locator('#category-grooming').check();
    await page.getByLabel(/^Mô tả/).fill('Một người lạ nhắn tin cho con tôi');
    await page.getByLabel('Họ tên').fill('Nguyễn Văn A');
    await page.locator('#consent-contact').check();
    const typed = await typedIn(page);
    await page.getByRole('button', { name: 'Gửi báo cáo' }).click();
    await shows(page, 'p.code', 'MOD_ERR_API_REPORT_BAD_URL');
    expect(await typedIn(page)).toEqual(typed);
    await screenshot(page, 'report-refused-vi-phone');

    await page.getByRole('button', { name: 'English' }).click();
    await page.locator('html[lang="en"]').waitFor();
    expect(await page.textContent('[role=alert]')).toContain('An address is not valid');
    expect(await typedIn(page)).toEqual(typed);
    await screenshot(page, 'report-refused-en-phone');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.locator('html[lang="vi"]').waitFor();
    expect(await page.textContent('[role=alert]')).toContain('Có đường dẫn không hợp lệ');
    expect(await typedIn(page)).toEqual(typed);
    // What was typed went in request bodies only, never in an address (addresses land in logs).
    expect(sent.filter((u) => /Zalo|nh%E1%BA%AFn|Nguy/i.test(u))).toEqual([]);
    expect(await reportCount()).toBe(0);
    // The refused post took the address's one report: refused by the limit, the form keeps what was typed too.
    await page.getByLabel('Đường dẫn (URL)').fill('https://twice.example/put-right');
    await page.getByRole('button', { name: 'Gửi báo cáo' }).click();
    await shows(page, 'p.code', 'MOD_ERR_API_REPORT_RATE_LIMITED');
    expect(await typedIn(page)).toEqual({ ...typed, urls: 'https://twice.example/put-right' });
  });

  it('with JavaScript, switches the language of a form being typed, then sends it with its proof of work', async () => {
    const page = await openForm(desktop, '/report?lang=en');
    await page.getByLabel('Addresses (URLs)').fill('https://twice.example/page');
    await page.locator('#category-grooming').check();
    await page.getByLabel(/^Description/).fill('A stranger messaging my child');
    const typed = await typedIn(page);
    const before = await reportCount();
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.locator('html[lang="vi"]').waitFor();
    expect(await typedIn(page)).toEqual(typed);
    await audit.look(page, 'report-switched-vi');
    await page.waitForFunction("document.querySelector('input[name=pow]').value !== ''");
    await page.getByRole('button', { name: 'Gửi báo cáo' }).click();
    await shows(page, 'h1', 'Đã nhận báo cáo của bạn');
    expect(await reportCount()).toBe(before + 1);
    await audit.look(page, 'report-switched-sent-vi');
  });

  it('shows the report filed when the form reaches the server twice, and charges the address once', async () => {
    // The limits hold across API instances (buckets in the database): the first test's refused post took this
    // address's one report of the hour. This test starts with its allowance whole.
    await world.db.query('delete from rate_buckets');
    const page = await openForm(phone, '/report?lang=en');
    await page.getByLabel('Addresses (URLs)').fill('https://twice.example/again');
    await page.locator('#category-other').check();
    // The form reaches the server twice (a second press the browser did not hold back, a phone network's retry);
    // the browser shows the answer to the second. The address may file one report: the first took it.
    const firstCode: string[] = [];
    await page.route('**/report?lang=en', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const first = await route.fetch();
      firstCode.push(/id="tracking-code">([0-9A-Z-]+)</.exec(await first.text())?.[1] ?? '');
      return route.fulfill({ response: await route.fetch() });
    });
    const before = await reportCount();
    await page.getByRole('button', { name: 'Send the report' }).click();
    await shows(page, 'h1', 'Your report was received');
    expect(firstCode[0]).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await page.textContent('#tracking-code')).toBe(firstCode[0]);
    expect(await reportCount()).toBe(before + 1);
    await screenshot(page, 'report-sent-twice-en-phone');
  });

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings).length).toBe(2);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
