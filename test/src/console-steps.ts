import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Page, Request } from 'playwright-core';
import { expect } from 'vitest';
import { multipart, waitFor } from './helpers.js';

/*
 * Steps of the console's end-to-end test (console.test.ts) on one page of the console, in Vietnamese: each
 * drives what a person does on that page and checks what they see.
 */

/** Reads a download the page starts by clicking `selector`. */
async function downloaded(page: Page, selector: string): Promise<string> {
  const download = page.waitForEvent('download');
  await page.click(selector);
  let text = '';
  for await (const chunk of await (await download).createReadStream()) text += String(chunk);
  return text;
}

/**
 * The statistics page: the charts, the CSV of the figures per target (ISPs and platforms named as such), and the
 * CSV of the orders by status at each day's end (the server's series, days in Hà Nội).
 */
export async function checkStatistics(page: Page): Promise<void> {
  await page.waitForSelector('.chart canvas');
  const text = await downloaded(page, 'text=Tải CSV >> nth=0');
  expect(text.split('\r\n')[0]).toContain('Tỷ lệ xử lý đúng hạn');
  expect(text).toContain('Nền tảng: platform-1');
  const rows = (await downloaded(page, 'text=Tải CSV theo ngày')).trim().split('\r\n');
  expect(rows[0]).toBe(
    '"Ngày","Đã ban hành","Đã gửi","Đã xác nhận nhận","Đã xử lý","Đã kiểm chứng","Bị khiếu nại","Mở lại","Đã rút"',
  );
  expect(rows).toHaveLength(31);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
  // Today: at least the automatic order and the one issued by hand stand in some status.
  const counts = (rows.at(-1) ?? '').split(',');
  expect(counts[0]).toBe(`"${today}"`);
  expect(counts.slice(1).reduce((n, c) => n + Number(c.replaceAll('"', '')), 0)).toBeGreaterThanOrEqual(2);
}

/**
 * The curation page: a small bank imported in two steps (the preview's counts, nothing changed yet; then the
 * import, confirmed, with its progress bar), and one of its hashes found by the API's search.
 */
export async function importAndFindBank(page: Page, lookAt: (name: string) => Promise<void>): Promise<void> {
  await page.waitForSelector('[data-testid=banks] tbody tr');
  const imported = [1, 2, 3].map(() => randomBytes(32).toString('hex'));
  const lines = ['signal,value,category', ...imported.map((h) => `blockhash,${h},B`)];
  await page.setInputFiles('#import-file', {
    name: `bank-${String(lines.length)}.csv`,
    mimeType: 'text/csv',
    buffer: Buffer.from(`${lines.join('\n')}\n`),
  });
  await page.click('text=Xem trước');
  const preview = page.locator('[data-testid=import-preview]');
  await expect.poll(() => preview.locator('[data-count=added]').textContent()).toBe('3');
  expect(await preview.locator('[data-count=present]').textContent()).toBe('0');
  expect(await preview.locator('[data-count=invalid]').textContent()).toBe('0');
  expect(await page.locator('[data-testid=import-result]').count()).toBe(0);
  await lookAt('10-curation-preview');
  await page.click('[data-testid=import-confirm]');
  await expect.poll(() => page.textContent('[data-testid=import-result]')).toContain('thêm 3 mục');
  expect(await page.getAttribute('[data-testid=import-progress]', 'value')).toBe('100');
  // The API finds one of them by its hash (any case), in the bank it was imported into.
  await page.fill('#search-needle', imported[1]!.toUpperCase());
  await page.click('form[role=search] button[type=submit]');
  await expect.poll(() => page.textContent('[data-testid=search-result]')).toBe('Tìm thấy 1 mục');
  expect(await page.textContent('[data-testid=search-entries] tbody')).toContain(imported[1]!);
  expect(await page.textContent('[data-testid=search-entries] tbody')).toContain('known-abuse');

  // A replace whose lines are mostly bad (a changed format, a truncated download) is refused and said in words;
  // the person may still replace, saying so.
  const languages: string[] = [];
  const noteLanguage = (r: Request) => {
    if (r.url().includes('/import?')) languages.push(r.headers()['accept-language'] ?? '');
  };
  page.on('request', noteLanguage);
  await page.selectOption('#import-target', { label: 'known-benign (ngân hàng mã băm)' });
  await page.selectOption('#import-mode', 'replace');
  const kept = randomBytes(32).toString('hex');
  const mostlyBad = [
    'signal,value,category',
    `sha256,${kept},B`,
    'sha256,not-a-hash,B',
    'nonsense',
    'sha256,,B',
  ];
  await page.setInputFiles('#import-file', {
    name: 'benign-mostly-bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`${mostlyBad.join('\n')}\n`),
  });
  await page.click('text=Xem trước');
  await expect
    .poll(() => page.textContent('form[aria-labelledby=import-title] [role=alert]'))
    .toBe(
      'Tệp chưa được nhập, không có gì thay đổi: có quá nhiều dòng lỗi, hoặc không có dòng hợp lệ nào. Hãy kiểm tra tệp và định dạng của nó. (MOD_ERR_API_LIST_REJECTED)',
    );
  expect(await preview.count()).toBe(0);
  await page.check('#import-force');
  await page.click('text=Xem trước');
  await expect.poll(() => preview.locator('[data-count=invalid]').textContent()).toBe('3');
  expect(await preview.locator('[data-count=added]').textContent()).toBe('1');
  await lookAt('10-curation-force');
  await page.click('[data-testid=import-confirm]');
  await expect.poll(() => page.textContent('[data-testid=import-result]')).toContain('thêm 1 mục');
  // Uploads ask for the person's language, as every other call does.
  page.off('request', noteLanguage);
  expect(languages).toEqual(['vi', 'vi', 'vi']);
}

/** The admin page: an ISP's feed settings changed (a walled-garden host instead of NXDOMAIN), and kept. */
export async function editFeedSettings(page: Page): Promise<void> {
  await page.selectOption('#feed-isp', 'isp-1');
  await expect.poll(() => page.inputValue('#feed-zone')).toBe('rpz.mod.local');
  await page.fill('#feed-zone', 'rpz.isp-1.vn');
  await page.fill('#feed-garden', 'Chan.Example.VN');
  await page.click('button:has-text("Lưu thiết lập")');
  await expect.poll(() => page.textContent('[data-testid=feed-saved]')).toContain('Đã lưu thiết lập');
  // As the API keeps it (checked, lower case), after a reload too.
  await expect.poll(() => page.inputValue('#feed-garden')).toBe('chan.example.vn');
  await page.reload();
  await expect.poll(() => page.inputValue('#feed-zone')).toBe('rpz.isp-1.vn');
  expect(await page.inputValue('#feed-garden')).toBe('chan.example.vn');
}

/** Uploads a photo as a platform: a submission the pipeline scans (202). */
export async function uploadPhoto(
  app: FastifyInstance,
  key: string,
  photo: Buffer,
  ref: string,
): Promise<void> {
  const upload = multipart(
    { externalRef: ref },
    { field: 'media', name: `${ref}.jpg`, type: 'image/jpeg', bytes: photo },
  );
  const res = await app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { ...upload.headers, authorization: `Bearer ${key}` },
    payload: upload.payload,
  });
  expect(res.statusCode, res.body).toBe(202);
}

/**
 * The review queue with two cases waiting, as a reviewer: a claim released (the case back in the queue), one case
 * dismissed with its content proposed for the negative bank `negativeBank`, the other escalated with the
 * keyboard shortcut `e`.
 */
export async function releaseDismissEscalate(
  page: Page,
  negativeBank: string,
  lookAt: (name: string) => Promise<void>,
): Promise<void> {
  const claimable = page.locator('[data-testid=queue] tbody tr button:not([disabled])');
  await waitFor('two review cases in the queue', async () => {
    await page.click('text=Làm mới');
    await page.waitForLoadState('networkidle');
    return (await claimable.count()) >= 2;
  });
  const claimFirst = async () => {
    await claimable.first().click();
    await expect.poll(() => page.getAttribute('[data-testid=case-media]', 'alt')).toContain('làm mờ');
  };
  // Claimed, then given back: both cases claimable again, nothing decided.
  await claimFirst();
  await expect.poll(() => claimable.count()).toBe(1);
  await page.click('button:has-text("Trả lại hàng đợi")');
  await expect.poll(() => page.locator('#case-title').count()).toBe(0);
  await expect.poll(() => claimable.count()).toBe(2);
  expect(await page.locator('[data-testid=decided]').count()).toBe(0);
  // Dismissed: known benign, proposed for the negative bank.
  await claimFirst();
  await page.fill('#decision-reason', 'Ảnh gia đình, không vi phạm');
  await page.selectOption('#propose-bank', { label: negativeBank });
  await lookAt('15-review-dismiss');
  await page.click('.actions button:has-text("Bác bỏ")');
  await expect
    .poll(() => page.textContent('[data-testid=decided]'))
    .toBe(
      'Đã ghi quyết định. Không có lệnh nào được ban hành. Đã đề xuất đưa vào ngân hàng; người phụ trách danh sách khác sẽ duyệt.',
    );
  // Escalated with the shortcut, out of the text field.
  await claimFirst();
  await page.fill('#decision-reason', 'Cần cơ quan chức năng đánh giá');
  await page.locator('#page-title').focus();
  await page.keyboard.press('e');
  await expect
    .poll(() => page.textContent('[data-testid=decided]'))
    .toBe('Đã ghi quyết định. Không có lệnh nào được ban hành.');
  await expect.poll(() => claimable.count()).toBe(0);
  await lookAt('16-review-escalated');
}
