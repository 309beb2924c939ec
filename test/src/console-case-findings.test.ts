import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapHostToPlatform } from '@mod/db/orders';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { seedTenants } from '@mod/testing';
import { chromiumAvailable, firstSignInAs, launchChromium, pageAudit } from './console-browser.js';
import {
  bankFramePicture,
  bankKnownPhoto,
  indexedEntries,
  listenOnLoopback,
  makePhoto,
  publishPartnerMedia,
  waitFor,
} from './helpers.js';
import { partner, pipeline, usePlatformWorld, world } from './file-world.js';

/*
 * The case page shows what the pipeline recorded about frames and takedowns, in Debian's Chromium with the
 * console's production build, on cases the real scanner, actioner and API opened from media a platform published
 * on its own Kafka topic: a GIF whose third frame a review bank lists (the hit names "khung 3 / 3", on the
 * reviewer's case and, once confirmed, on the authority's confirmation case); a GIF of five distinct frames of which
 * the scanner (HASH_MAX_FRAMES 3) examined three (a notice that frames 4 to 5 went unexamined); a known photo whose
 * metadata claims another platform's URL (the confirmation case says the takedown to that platform was withheld,
 * why, and offers the authority an order by hand). Before, the page showed none of it: only the raw evidence held it.
 * Each case says why it opened in Vietnamese (or English), from the reason code policy stored, where the page showed
 * policy's English text; the five-frame GIF's case, escalated, shows the authority the frames left unexamined.
 */
const available = chromiumAvailable();
const size = { width: 320, height: 240 };
const OTHER_HOST = 'cdn.platform-2.example';

/** Where the API listens and its admin key, and the submissions the platform published, by what they are. */
const api = { origin: '', adminKey: '' };
const published = { frameHit: '', unexamined: '', claimed: '' };
const audit = pageAudit();
let browser: Browser;
let page: Page;
const claimedUrl = `https://${OTHER_HOST}/media/${randomBytes(4).toString('hex')}.jpg`;

const title = () => page.locator('#page-title');

/** A person made by the admin key through the API, signed in for the first time in the browser. */
async function signInNew(p: { tenantId: string; login: string; role: string }): Promise<void> {
  const made = await pipeline.app.inject({
    method: 'POST',
    url: '/v1/admin/people',
    headers: { authorization: `Bearer ${api.adminKey}` },
    payload: { ...p, displayName: p.login },
  });
  expect(made.statusCode, made.body).toBe(201);
  if ((await page.locator('nav button').count()) > 0) {
    await page.click('nav button');
    await page.waitForSelector('#login');
  } else await page.goto(`${api.origin}/console/`);
  const oneTime = made.json<{ oneTimePassword: string }>().oneTimePassword;
  await firstSignInAs(page, p.login, oneTime, 'một cụm mật khẩu đủ dài để xem các trường hợp');
}

/** The case of `kind` opened for a submission, once the pipeline (or a decision) has opened it. */
const caseOf = (submissionId: string, kind: 'review' | 'confirm' | 'escalation') =>
  waitFor(`the ${kind} case of ${submissionId}`, async () => {
    const { rows } = await world.db.query<{ id: string }>(
      'select id from cases where submission_id = $1 and kind = $2',
      [submissionId, kind],
    );
    return rows[0]?.id;
  });

/** Opens the review page, waits for the case `caseId` in the queue and follows its link, as a person does. */
async function openFromQueue(caseId: string): Promise<void> {
  await page.click('nav >> text=Hàng đợi xem xét');
  await expect.poll(() => title().textContent()).toBe('Hàng đợi xem xét');
  const link = page.locator(`[data-testid=queue] a[href="/console/review?case=${caseId}"]`);
  await waitFor(`case ${caseId} in the queue`, async () => {
    await page.click('text=Làm mới');
    await page.waitForLoadState('networkidle');
    return (await link.count()) > 0;
  });
  await link.click();
  await page.waitForSelector('[data-testid=selected-case] [data-testid=case-findings]');
}

const selected = (testId: string) => page.locator(`[data-testid=selected-case] [data-testid=${testId}]`);

describe.skipIf(!available)('the case page: frames and withheld takedowns', () => {
  usePlatformWorld({
    pipeline: {
      env: {
        HASH_MAX_FRAMES: '3',
        MOD_PEOPLE_SECRET_KEY: randomBytes(32).toString('base64'),
        MOD_VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      },
    },
  });
  beforeAll(async () => {
    api.origin = await listenOnLoopback(pipeline.app);
    const keys = await seedTenants(world.db, [
      { id: 'platform-2', kind: 'platform' },
      { id: 'isp-1', kind: 'isp' },
      { id: 'hotline-1', kind: 'hotline' },
      { id: 'authority-1', kind: 'authority' },
      { id: 'ops', kind: 'admin', role: 'admin' },
    ]);
    api.adminKey = keys['ops']!;
    await mapHostToPlatform(world.db, OTHER_HOST, 'platform-2');
    // An automatic bank (the known photo's blockhash), and a review bank listing one picture as a frame.
    const known = await makePhoto(91);
    await bankKnownPhoto(world, pipeline, known);
    const [benign, other, listed] = await Promise.all([makePhoto(92), makePhoto(93), makePhoto(94)]);
    await bankFramePicture(world, listed, {
      name: 'frames-review',
      actionPolicy: 'review',
      size,
      category: 'B',
    });
    await waitFor('the scanner to apply both banks', async () => indexedEntries(pipeline) === 2);

    const frameHit = await animationOf([benign, other, listed], { format: 'gif', ...size });
    const fiveFrames = await Promise.all([95, 96, 97, 98, 99].map((seed) => makePhoto(seed)));
    const unexamined = await animationOf(fiveFrames, { format: 'gif', ...size });
    published.frameHit = await publishPartnerMedia(world, partner, frameHit);
    published.unexamined = await publishPartnerMedia(world, partner, unexamined);
    published.claimed = await publishPartnerMedia(world, partner, known, { url: claimedUrl });

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    audit.watch(page, api.origin);
  }, 180_000);
  afterAll(async () => browser?.close());

  it("shows the reviewer the frame each hit matched on, and the frames examined of the file's", async () => {
    const caseId = await caseOf(published.frameHit, 'review');
    await signInNew({ tenantId: 'hotline-1', login: 'reviewer.frames', role: 'reviewer' });
    await openFromQueue(caseId);
    await expect
      .poll(() => selected('case-frames').textContent())
      .toBe('Tệp nhiều khung hình (ảnh động hoặc nhiều trang): đã xét 3 / 3 khung, băm 3 khung khác nhau.');
    expect(await selected('hit-where').allTextContents()).toEqual(['khung 3 / 3']);
    expect(await selected('case-hits').textContent()).toContain('frames-review');
    expect(await selected('case-frames-unexamined').count()).toBe(0);
    // Why the case opened, in Vietnamese (policy's stored reason is English), in the queue and on the case.
    expect(await selected('case-reason').textContent()).toBe(
      'Trường hợp: Khớp ngân hàng cần người xem xét: frames-review',
    );
    expect(
      await page.locator(`[data-testid=queue] a[href="/console/review?case=${caseId}"]`).textContent(),
    ).toBe('Khớp ngân hàng cần người xem xét: frames-review');
    await audit.look(page, 'case-findings-01-frame-hit');

    // Claimed, the case at work shows the same; in English too.
    await page.click('[data-testid=selected-case] button:has-text("Nhận xử lý")');
    await page.waitForSelector('#case-title');
    const work = page.locator('section.case[aria-labelledby=case-title]');
    await expect
      .poll(() => work.locator('[data-testid=hit-where]').allTextContents())
      .toEqual(['khung 3 / 3']);
    await page.selectOption('#language', 'en');
    await expect
      .poll(() => work.locator('[data-testid=hit-where]').allTextContents())
      .toEqual(['frame 3 of 3']);
    expect(await work.locator('[data-testid=case-frames]').textContent()).toBe(
      'Multi-frame file (animated or multi-page): 3 of 3 frames examined, 3 distinct frames hashed.',
    );
    expect(await page.textContent('#case-title')).toBe('Case: Hit in review bank(s): frames-review');
    await audit.look(page, 'case-findings-02-frame-hit-english');
    await page.selectOption('#language', 'vi');
    // Confirmed: the authority's confirmation case follows (checked below).
    await page.fill('#decision-reason', 'Khung thứ ba khớp danh sách; xác nhận mức B');
    await page.check('input[name=category][value=B]');
    await page.click('.actions button:has-text("Xác nhận vi phạm")');
    await expect.poll(() => page.textContent('[data-testid=decided]')).toMatch(/^Đã ghi quyết định\./);
  }, 180_000);

  it('warns the reviewer plainly when frames past the bound went unexamined', async () => {
    const caseId = await caseOf(published.unexamined, 'review');
    await openFromQueue(caseId);
    await expect
      .poll(() => selected('case-frames').textContent())
      .toBe('Tệp nhiều khung hình (ảnh động hoặc nhiều trang): đã xét 3 / 5 khung, băm 3 khung khác nhau.');
    expect(await selected('case-frames-unexamined').textContent()).toBe(
      'Còn 2 khung chưa được xét (khung 4 đến 5): hệ thống chỉ xét số khung đã đặt, nên không biết các khung đó có ' +
        'nội dung trong danh sách hay không. Hãy xem cả tệp trước khi quyết định.',
    );
    expect(await selected('case-hits').count()).toBe(0);
    expect(await selected('case-reason').textContent()).toBe(
      'Trường hợp: Chỉ băm 3 / 5 khung hình, không khung nào khớp danh sách: cần người xem cả tệp',
    );
    await audit.look(page, 'case-findings-03-frames-unexamined');
    // Escalated to the authorities (checked below: the escalation shows them the same frames).
    await page.click('[data-testid=selected-case] button:has-text("Nhận xử lý")');
    await page.waitForSelector('#case-title');
    await page.fill('#decision-reason', 'Khung 4 và 5 chưa được xét; cần cơ quan chức năng xem cả tệp');
    await page.click('.actions button:has-text("Chuyển cơ quan chức năng")');
    await expect.poll(() => page.textContent('[data-testid=decided]')).toMatch(/^Đã ghi quyết định\./);
  }, 120_000);

  it('tells the authority that a takedown was withheld, to whom and why, and offers an order by hand', async () => {
    const withheldCase = await caseOf(published.claimed, 'confirm');
    const framesCase = await caseOf(published.frameHit, 'confirm');
    await signInNew({ tenantId: 'authority-1', login: 'officer.withheld', role: 'authority' });
    await openFromQueue(withheldCase);
    const notice = selected('takedown-withheld');
    await expect.poll(() => notice.locator('h3').textContent()).toBe('Lệnh gỡ bỏ đã bị giữ lại, chưa gửi');
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain(
      `Không có lệnh gỡ bỏ nào được gửi tới platform-2, nền tảng quản lý tên miền ${OTHER_HOST}: địa chỉ này chỉ ` +
        'do platform-1 khai trong dữ liệu gửi kèm, hệ thống chưa tự thấy nội dung ở đó.',
    );
    expect(text).toContain(`Địa chỉ được khai: ${claimedUrl}`);
    expect(await selected('hit-where').allTextContents()).toEqual(['cả tệp']);
    expect(await selected('case-reason').textContent()).toMatch(
      /^Trường hợp: Tự động khớp ngân hàng .+: đã ban hành 1 lệnh; lệnh gỡ bỏ tới platform-2 bị giữ lại, chưa gửi \(xem bên dưới\)$/,
    );
    // Nobody claims a confirmation case (it closes through its orders): no claim offered.
    expect(await page.locator('[data-testid=selected-case] button:has-text("Nhận xử lý")').count()).toBe(0);
    await audit.look(page, 'case-findings-04-takedown-withheld');
    await notice.locator('a:has-text("Ban hành lệnh bằng tay")').click();
    await expect.poll(() => title().textContent()).toBe('Ban hành lệnh');

    // The reviewer's confirmation of the GIF: its confirmation case keeps the frame the hit matched and the count.
    await openFromQueue(framesCase);
    await expect.poll(() => selected('hit-where').allTextContents()).toEqual(['khung 3 / 3']);
    expect(await selected('takedown-withheld').count()).toBe(0);
    expect(await selected('case-reason').textContent()).toBe(
      'Trường hợp: Người xem xét xác nhận mức B: đã ban hành 1 lệnh',
    );
    await audit.look(page, 'case-findings-05-confirmation-frames');

    // The escalated five-frame GIF: the authority sees the frames the reviewer saw, and the reviewer's reason.
    const escalation = await caseOf(published.unexamined, 'escalation');
    await openFromQueue(escalation);
    await expect
      .poll(() => selected('case-frames').textContent())
      .toBe('Tệp nhiều khung hình (ảnh động hoặc nhiều trang): đã xét 3 / 5 khung, băm 3 khung khác nhau.');
    expect(await selected('case-frames-unexamined').textContent()).toMatch(/^Còn 2 khung chưa được xét/);
    expect(await selected('case-reason').textContent()).toBe(
      'Trường hợp: Khung 4 và 5 chưa được xét; cần cơ quan chức năng xem cả tệp',
    );
    await audit.look(page, 'case-findings-06-escalation-frames');
  }, 180_000);

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings).length).toBe(6);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
