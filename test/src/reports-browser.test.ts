import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  pageAudit,
  PHONE_WITHOUT_SCRIPTS,
  screenshot,
} from './console-browser.js';
import { oversight, reportWhen, scene, useReportScene } from './reports-scene.js';
import { waitFor } from './waiting.js';

/**
 * The public report form as people use it (issue 23), in Debian's Chromium: on a small phone without JavaScript
 * in Vietnamese, and with JavaScript (the proof of work) in English; the tracking code; the status page before
 * and after an operator decided; axe-core on every page. Screenshots land in test/console-screenshots/.
 */
useReportScene();

const available = chromiumAvailable();
/** Axe on a page as it is (in the context with JavaScript: axe runs in the page), and its screenshot. */
const audit = pageAudit();
let browser: Browser;
let noScript: BrowserContext;
let withScript: BrowserContext;
const codes: Record<'vi' | 'en', string> = { vi: '', en: '' };

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  audit.watch(page, scene.baseUrl);
  return page;
}

/** Fills the form as a person does: the URL, where it was seen, the kind (its label), a description. */
async function fillForm(page: Page, o: { url: string; seen: string; kind: string; text: string }) {
  await page.getByLabel(/Đường dẫn|Addresses/).fill(o.url);
  await page.getByLabel(/thấy nội dung ở đâu|Where did you see it/).fill(o.seen);
  await page.getByLabel(o.kind).check();
  await page.getByLabel(/^(Mô tả|Description)/).fill(o.text);
}

describe.skipIf(!available)('the public report form in a real browser', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    // A small phone, no JavaScript.
    noScript = await browser.newContext(PHONE_WITHOUT_SCRIPTS);
    withScript = await browser.newContext({ locale: 'en-GB' });
  });
  afterAll(async () => {
    await noScript?.close();
    await withScript?.close();
    await browser?.close();
  });

  it('takes a report in Vietnamese without JavaScript, on a phone-sized screen, and shows its tracking code', async () => {
    const page = await newPage(noScript);
    await page.goto(`${scene.baseUrl}/report`);
    await expect
      .poll(() => page.locator('h1').textContent())
      .toBe('Báo cáo nội dung xâm hại trẻ em trên mạng');
    expect(await page.getByText('Xin đừng tải lên hay gửi kèm hình ảnh').isVisible()).toBe(true);
    await fillForm(page, {
      url: scene.urls.browserBenign,
      seen: 'Một nhóm trên mạng xã hội',
      kind: 'Khác',
      text: 'Trang này có vẻ đáng ngờ',
    });
    await screenshot(page, 'report-form-vi-phone');
    await page.getByRole('button', { name: 'Gửi báo cáo' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Đã nhận báo cáo của bạn');
    codes.vi = (await page.locator('#tracking-code').textContent()) ?? '';
    expect(codes.vi).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await screenshot(page, 'report-sent-vi-phone');
    // The same pages, measured with scripts on (axe runs in the page): nothing wider than a phone.
    const measured = await newPage(withScript);
    await measured.setViewportSize({ width: 360, height: 740 });
    await measured.goto(`${scene.baseUrl}/report`);
    // In the page (no DOM types in the tests' build): the document's width.
    const width = await measured.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(360);
    await audit.look(measured, 'report-form-vi');
    await measured.close();
  });

  it('takes a report in English with JavaScript: the page proves its work before sending', async () => {
    const page = await newPage(withScript);
    await page.goto(`${scene.baseUrl}/report?lang=en`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await audit.look(page, 'report-form-en');
    await fillForm(page, {
      url: scene.urls.browserKnown,
      seen: 'A file-sharing site',
      kind: 'Images or videos of child sexual abuse',
      text: 'Found while searching',
    });
    // The script fills the proof in the hidden field as soon as it finds it.
    await page.waitForFunction("document.querySelector('input[name=pow]').value !== ''");
    await page.getByRole('button', { name: 'Send the report' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your report was received');
    codes.en = (await page.locator('#tracking-code').textContent()) ?? '';
    expect(codes.en).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await audit.look(page, 'report-sent-en');
  });

  it('lets one press send the form: a second while the first is on its way is ignored', async () => {
    // Chromium itself drops a second submission of a form whose first is pending; other browsers send both, and
    // the second, with the token the first spent, would tell the reporter the form expired. The page's own guard,
    // seen from its events: the first press goes ahead, the next ones are held back.
    const page = await newPage(withScript);
    await page.goto(`${scene.baseUrl}/report?lang=en`);
    await page.waitForFunction("document.querySelector('input[name=pow]').value !== ''");
    // Registered after the page's own listeners: whether they held each press back, then nothing is sent.
    const heldBack = await page.evaluate<boolean[]>(`(() => {
      const form = document.getElementById('report-form');
      const seen = [];
      form.addEventListener('submit', (e) => { seen.push(e.defaultPrevented); e.preventDefault(); });
      for (let i = 0; i < 3; i++) form.dispatchEvent(new Event('submit', { cancelable: true }));
      return seen;
    })()`);
    expect(heldBack).toEqual([false, true, true]);
    await page.close();
  });

  it('shows each reporter the status change after the matching or an operator decided', async () => {
    // The English report's photo is a banked image: actioned by policy.
    const en = await newPage(withScript);
    await waitFor(
      'the English report actioned',
      async () => {
        await en.goto(`${scene.baseUrl}/report/status?lang=en`);
        await en.getByLabel('Tracking code').fill(codes.en.toLowerCase().replace(/-/g, ' '));
        await en.getByRole('button', { name: 'See progress' }).click();
        return (await en.locator('#report-status').textContent()) === 'Action taken';
      },
      60_000,
    );
    await audit.look(en, 'report-status-en');

    // The Vietnamese report's page is benign: a case; the reviewer dismisses it with a reason.
    const { reports } = (await oversight('GET', '/v1/reports?channel=web&status=assessing')).json<{
      reports: { id: string; subjects: { url: string; caseId: string | null }[] }[];
    }>();
    let reportId = reports.find((r) => r.subjects[0]?.url === scene.urls.browserBenign)?.id;
    if (reportId === undefined) {
      await waitFor('the Vietnamese report in a case', async () => {
        const all = (await oversight('GET', '/v1/reports?channel=web')).json<{
          reports: { id: string; status: string; subjects: { url: string }[] }[];
        }>().reports;
        reportId = all.find(
          (r) => r.subjects[0]?.url === scene.urls.browserBenign && r.status === 'assessing',
        )?.id;
        return reportId !== undefined;
      });
    }
    const inCase = await reportWhen(reportId!, 'a case', (r) => r.report.subjects[0]?.caseId !== null);
    const caseId = inCase.report.subjects[0]!.caseId!;
    const vi = await newPage(noScript);
    const statusOf = async () => {
      await vi.goto(`${scene.baseUrl}/report/status`);
      await vi.getByLabel('Mã theo dõi').fill(codes.vi);
      await vi.getByRole('button', { name: 'Xem tiến độ' }).click();
      return vi.locator('#report-status').textContent();
    };
    expect(await statusOf()).toBe('Đang đánh giá');
    const { session } = scene.reviewer;
    expect((await session.call('POST', `/v1/cases/${caseId}/claim`)).status).toBe(200);
    const decided = await session.call('POST', `/v1/cases/${caseId}/decision`, {
      body: { decision: 'dismiss', reason: 'Trang công thức nấu ăn, không vi phạm' },
    });
    expect(decided.status).toBe(200);
    await waitFor(
      'the Vietnamese status to change',
      async () => (await statusOf()) === 'Không thể xử lý',
      30_000,
    );
    // Coarse progress only: nothing of the content or the reviewer's reason.
    expect(await vi.content()).not.toContain('công thức');
    expect(await vi.content()).not.toContain('pages.example');
    await screenshot(vi, 'report-status-vi-phone');
    const measured = await newPage(withScript);
    await measured.goto(`${scene.baseUrl}/report/status`);
    await audit.look(measured, 'report-status-form-vi');
  });

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings).length).toBeGreaterThanOrEqual(5);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
