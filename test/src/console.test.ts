import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { seedTenants } from '@mod/testing';
import {
  chromiumAvailable,
  CHROMIUM_PATH,
  firstSignInAs,
  launchChromium,
  pageAudit,
  totpCode,
} from './console-browser.js';
import {
  checkStatistics,
  editFeedSettings,
  importAndFindBank,
  releaseDismissEscalate,
  uploadPhoto,
} from './console-steps.js';
import {
  indexedEntries,
  listenOnLoopback,
  makePhoto,
  multipart,
  seedKnownImage,
  waitFor,
} from './helpers.js';
import { pipeline, usePipelineWorld, world } from './file-world.js';

/*
 * The console as people use it, in a real browser (Debian's Chromium through playwright-core) against the real
 * API, scanner and actioner on Kafka and PostgreSQL, with the console's production build served by the API:
 * first sign-in (one-time password, new password, TOTP enrolment with the code computed from the secret shown),
 * an automatic order from a matched upload counting down on the desk, an order issued by hand (target and legal
 * basis from the API's lists), a record verified in the browser (and a tampered answer refused), statistics (orders
 * by status per day), the language switch (kept across a reload), a second sign-in with password and TOTP, review
 * cases confirmed, released, dismissed for a negative bank and escalated, a bank import previewed then confirmed
 * with its progress bar and an entry found by hash, an ISP's feed settings, API keys; axe-core on every page (no
 * serious or critical violation), no request leaves the origin, the page's policy refuses nothing. Steps of one
 * page each are in console-steps.ts.
 */
const available = chromiumAvailable();
if (!available)
  console.warn(`console e2e skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);

let browser: Browser;
let origin: string;
let adminKey: string;
let platformKey: string;
let page: Page;
const audit = pageAudit();
const officer = { login: 'officer.an', password: 'một cụm mật khẩu đủ dài cho cán bộ', secret: '' };
const admin = { login: 'admin.binh', password: 'another long enough pass phrase', secret: '' };
let knownPhoto: Buffer;
let reviewPhoto: Buffer;
/** Two more photos the review bank holds: one to dismiss (proposed for the negative bank), one to escalate. */
let laterPhotos: Buffer[];
let negativeBankId: string;
const reviewer = { login: 'reviewer.chi', password: 'a reviewer pass phrase long enough', secret: '' };

const title = () => page.locator('#page-title');

/** Runs axe on the page as it is now and keeps what it found under the page's name; takes its screenshot. */
async function lookAt(name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await audit.look(page, name);
}

/** A person created by an admin key through the API: answers their one-time password. */
async function createPerson(p: { tenantId: string; login: string; displayName: string; role: string }) {
  const res = await pipeline.app.inject({
    method: 'POST',
    url: '/v1/admin/people',
    headers: { authorization: `Bearer ${adminKey}` },
    payload: p,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ oneTimePassword: string }>().oneTimePassword;
}

async function signOut(): Promise<void> {
  await page.click('nav button');
  await page.waitForSelector('#login');
}

/**
 * The next person at the console: whoever is signed in signs out, an admin key creates `person` as `details`
 * say, and they sign in for the first time with their one-time password; their TOTP secret is kept.
 */
async function handOverTo(
  person: { login: string; password: string; secret: string },
  details: { tenantId: string; displayName: string; role: string },
): Promise<void> {
  await signOut();
  const oneTime = await createPerson({ ...details, login: person.login });
  person.secret = await firstSignInAs(page, person.login, oneTime, person.password);
}

/** Follows the navigation's link `link` and waits for the page's title. */
async function openFromNav(link: string, pageTitle: string): Promise<void> {
  await page.click(`nav >> text=${link}`);
  await expect.poll(() => title().textContent()).toBe(pageTitle);
}

describe.skipIf(!available)('the console in a real browser', () => {
  usePipelineWorld({
    MOD_AUDIT_SIGNING_KEY_PEM: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    AUDIT_SIGN_EVERY_RECORDS: '1',
    AUDIT_SIGN_EVERY_MS: '50',
    MOD_PEOPLE_SECRET_KEY: randomBytes(32).toString('base64'),
    // Media a review bank matches is sealed in the evidence vault for the reviewer's preview.
    MOD_VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  beforeAll(async () => {
    origin = await listenOnLoopback(pipeline.app);
    const seeded = await seedKnownImage(world, pipeline, { seed: 53, isps: ['isp-1'] });
    platformKey = seeded.platformKey;
    knownPhoto = seeded.known;
    // A review bank: a hit opens a case for a person instead of an order.
    reviewPhoto = await makePhoto(71);
    const { bank } = await createBank(
      world.db,
      { name: 'needs-review', source: 'e2e', signalTypes: ['blockhash'], actionPolicy: 'review' },
      world.topics.bankChanges,
    );
    laterPhotos = [await makePhoto(72), await makePhoto(73)];
    const entries = await Promise.all(
      [reviewPhoto, ...laterPhotos].map(async (photo) => ({
        signal: 'blockhash' as const,
        value: (await hashMedia(photo)).blockhash,
        category: 'B',
      })),
    );
    await addEntries(world.db, bank.id, entries, world.topics.bankChanges);
    // Known benign content: what a dismissal may propose its hashes for.
    const benign = { name: 'known-benign', source: 'e2e', actionPolicy: 'review', negative: true } as const;
    const made = await createBank(world.db, { ...benign, signalTypes: ['sha256'] }, world.topics.bankChanges);
    negativeBankId = made.bank.id;
    await waitFor('the scanner to apply the review bank', async () => indexedEntries(pipeline) === 4);
    const keys = await seedTenants(world.db, [
      { id: 'hotline-1', kind: 'hotline' },
      { id: 'authority-1', kind: 'authority' },
      { id: 'ops', kind: 'admin', role: 'admin' },
    ]);
    adminKey = keys['ops']!;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    audit.watch(page, origin);
  }, 180_000);

  afterAll(async () => browser?.close());

  it('is served under /console with a strict policy, and signs an officer in for the first time in Vietnamese', async () => {
    const shell = await fetch(`${origin}/console/desk`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    const html = await shell.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect((await fetch(`${origin}${asset}`)).headers.get('cache-control')).toContain('immutable');

    const oneTime = await createPerson({
      tenantId: 'authority-1',
      login: officer.login,
      displayName: 'Nguyễn Văn An',
      role: 'authority',
    });
    await page.goto(`${origin}/console/`);
    await expect.poll(() => title().textContent()).toBe('Đăng nhập');
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('vi');
    await lookAt('01-sign-in');
    officer.secret = await firstSignInAs(page, officer.login, oneTime, officer.password, lookAt);
    await expect.poll(() => title().textContent()).toBe('Lệnh gỡ bỏ và chặn');
  }, 120_000);

  it('shows the automatic order of a matched upload on the desk, its deadline counting down', async () => {
    const upload = multipart(
      { externalRef: 'console-e2e' },
      { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes: knownPhoto },
    );
    const res = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...upload.headers, authorization: `Bearer ${platformKey}` },
      payload: upload.payload,
    });
    expect(res.statusCode, res.body).toBe(202);
    const rows = page.locator('tr[data-order-id]');
    await waitFor('the automatic order on the desk', async () => {
      await page.click('text=Làm mới');
      await page.waitForLoadState('networkidle');
      return (await rows.count()) > 0;
    });
    const countdown = rows.first().locator('[data-testid=countdown]');
    const before = await countdown.textContent();
    expect(before).toMatch(/^Còn (\d+ ngày )?\d{2}:\d{2}:\d{2}$/);
    await expect.poll(() => countdown.textContent(), { timeout: 5000 }).not.toBe(before);
    await lookAt('04-desk');
  }, 120_000);

  let orderId = '';
  it('issues a takedown order by hand with its legal basis, and shows it with its history', async () => {
    await page.click('text=Ban hành lệnh');
    await expect.poll(() => title().textContent()).toBe('Ban hành lệnh');
    await lookAt('05-issue-order');
    // Targets and legal bases as the API lists them (the bases in Vietnamese, with their deadline).
    await page.selectOption('#issue-target', 'platform-1');
    await page.fill('#issue-subject', 'https://platform-1.example/abuse/42');
    expect(await page.textContent('#issue-basis option[value=vn-decree-147-request]')).toMatch(
      /^Nghị định 147\/2024\/NĐ-CP.*\(thời hạn 1 ngày/,
    );
    await page.selectOption('#issue-basis', 'vn-decree-147-request');
    await page.fill('#issue-note', 'Phát hiện qua đường dây nóng 111');
    await page.click('button[type=submit]');
    await expect.poll(() => title().textContent()).toBe('Lệnh');
    orderId = /\/desk\/orders\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
    expect(orderId).not.toBe('');
    await expect.poll(() => page.textContent('[data-testid=order-status]')).toBe('Đã ban hành');
    const history = page.locator('table tbody tr');
    const events = await history.count();
    await page.selectOption('#command', 'extend');
    await page.fill('#command-hours', '24');
    await page.fill('#command-reason', 'Nền tảng xin thêm thời gian');
    await page.click('form.commands button[type=submit]');
    await expect.poll(() => history.count()).toBe(events + 1);
    await expect.poll(() => page.textContent('[data-testid=countdown]')).toMatch(/^Còn 1 ngày 23:5\d:\d{2}$/);
    await page.selectOption('#command', 'pause');
    await page.fill('#command-reason', 'Chờ làm rõ');
    await page.click('form.commands button[type=submit]');
    await expect.poll(() => page.textContent('[data-testid=countdown]')).toBe('Đang tạm dừng');
    await page.selectOption('#command', 'resume');
    await page.click('form.commands button[type=submit]');
    await expect.poll(() => page.textContent('[data-testid=countdown]')).toMatch(/^Còn 1 ngày/);
    await lookAt('06-order');
    await page.click('nav >> text=Lệnh');
    await expect.poll(() => page.locator(`tr[data-order-id="${orderId}"]`).count()).toBe(1);
  }, 60_000);

  it("verifies the order's audit records in the browser, and refuses a record the server altered", async () => {
    await page.goto(`${origin}/console/desk/orders/${orderId}`);
    await page.click('text=Xem và kiểm chứng nhật ký kiểm toán của lệnh này');
    await expect.poll(() => title().textContent()).toBe('Nhật ký kiểm toán');
    const verdict = page.locator('[data-testid=audit-verdict]');
    // The log signs a new head within 50 ms of a record; until then the export may predate the order.
    await waitFor('a verified record of the order', async () => {
      if (
        (await verdict.count()) === 0 ||
        !((await verdict.textContent()) ?? '').startsWith('Đã kiểm chứng')
      ) {
        await page.click('form[role=search] button[type=submit]');
        await page.waitForLoadState('networkidle');
      }
      const text = (await verdict.count()) === 0 ? '' : ((await verdict.textContent()) ?? '');
      return (
        text.startsWith('Đã kiểm chứng') && (await page.locator('[data-testid=audit-record]').count()) > 0
      );
    });
    expect(await page.locator('text=order.issued').count()).toBeGreaterThan(0);
    await lookAt('07-audit');

    // The same export, one record's reason (kept beside it, committed to in it) changed on the way: the browser
    // finds it.
    await page.route('**/v1/audit/export**', async (route) => {
      const response = await route.fetch();
      const bundle = (await response.json()) as { entries: { texts?: { reason?: { text?: string } } }[] };
      const kept = bundle.entries.find((e) => e.texts?.reason?.text !== undefined)?.texts?.reason;
      if (kept === undefined) throw new Error('no reason kept beside a record of the export');
      kept.text = 'altered';
      await route.fulfill({ response, json: bundle });
    });
    await page.click('form[role=search] button[type=submit]');
    await expect.poll(() => verdict.textContent()).toBe('KHÔNG kiểm chứng được: có bước kiểm tra thất bại');
    await page.unroute('**/v1/audit/export**');
  }, 90_000);

  it('shows the statistics as charts with a CSV export', async () => {
    await openFromNav('Thống kê', 'Thống kê xử lý lệnh');
    await checkStatistics(page);
    await lookAt('08-stats');
  }, 60_000);

  it('switches to English and keeps the choice across a reload', async () => {
    await page.selectOption('#language', 'en');
    await expect.poll(() => title().textContent()).toBe('Order statistics');
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en');
    await page.reload();
    await expect.poll(() => title().textContent()).toBe('Order statistics');
    await lookAt('09-stats-english');
    await page.selectOption('#language', 'vi');
    await expect.poll(() => title().textContent()).toBe('Thống kê xử lý lệnh');
  }, 60_000);

  it('signs the officer out, and in again with password and the TOTP code', async () => {
    await signOut();
    await page.fill('#login', officer.login);
    await page.fill('#password', officer.password);
    // The enrolment used this step's code; a code is accepted once, so the next step's (within the window).
    await page.fill('#code', totpCode(officer.secret, 1));
    await page.click('button[type=submit]');
    await expect.poll(() => title().textContent()).toBe('Lệnh gỡ bỏ và chặn');
  }, 60_000);

  it('lets a reviewer claim a case, see it blurred, reveal it (counted), and confirm it with a keyboard shortcut', async () => {
    await uploadPhoto(pipeline.app, platformKey, reviewPhoto, 'console-review');
    await handOverTo(reviewer, { tenantId: 'hotline-1', displayName: 'Lê Minh Chi', role: 'reviewer' });
    await openFromNav('Hàng đợi xem xét', 'Hàng đợi xem xét');
    const claim = page.locator('[data-testid=queue] tbody tr button:not([disabled])');
    await waitFor('the review case in the queue', async () => {
      await page.click('text=Làm mới');
      await page.waitForLoadState('networkidle');
      return (await claim.count()) > 0;
    });
    await expect.poll(() => page.textContent('[data-testid=exposure]')).toContain('chưa ảnh gốc nào');
    await claim.first().click();
    const media = page.locator('[data-testid=case-media]');
    await expect.poll(() => media.getAttribute('alt')).toBe('Ảnh xem trước đã làm mờ, thang xám');
    // The preview is an exposure too: counted the day's first.
    await expect.poll(() => page.textContent('[data-testid=exposure]')).toContain('1 ảnh xem trước');
    await lookAt('13-review-case');
    await page.keyboard.press('v');
    await expect.poll(() => media.getAttribute('alt')).toBe('Ảnh gốc (đã ghi vào nhật ký)');
    await expect.poll(() => page.textContent('[data-testid=exposure]')).toContain('1 ảnh gốc');
    await page.fill('#decision-reason', 'Khớp danh sách cần xem xét; xác nhận mức B');
    await page.check('input[name=category][value=B]');
    // Out of the text field, the shortcut decides: y confirms.
    await title().focus();
    await page.keyboard.press('y');
    await expect
      .poll(() => page.textContent('[data-testid=decided]'))
      .toMatch(/^Đã ghi quyết định\. Đã ban hành \d+ lệnh\.$/);
    await lookAt('14-review-decided');
  }, 120_000);

  it('lets the reviewer release a claim, dismiss a case for the negative bank, and escalate one', async () => {
    await uploadPhoto(pipeline.app, platformKey, laterPhotos[0]!, 'console-dismiss');
    await uploadPhoto(pipeline.app, platformKey, laterPhotos[1]!, 'console-escalate');
    await releaseDismissEscalate(page, 'known-benign', lookAt);
    const proposals = await pipeline.app.inject({
      method: 'GET',
      url: '/v1/bank-proposals',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    // The dismissed content's SHA-256 for the negative bank, waiting for a curator (another person).
    expect(proposals.json()).toMatchObject({
      proposals: [{ bankId: negativeBankId, status: 'pending', entries: [{ signal: 'sha256' }] }],
    });
  }, 120_000);

  it('lets an administrator import a small bank with a progress bar, and shows curation, admin and review', async () => {
    await handOverTo(admin, { tenantId: 'ops', displayName: 'Trần Thị Bình', role: 'admin' });
    await openFromNav('Danh sách', 'Danh sách mã băm và URL');
    await importAndFindBank(page, lookAt);
    await lookAt('10-curation');
    await openFromNav('Quản trị', 'Quản trị');
    await page.waitForSelector('text=authority-1');
    // An API key for an ISP: shown once, then listed by its prefix, and revoked.
    await page.fill('#key-tenant', 'isp-1');
    await page.selectOption('#key-role', 'isp');
    await page.fill('#key-label', 'resolver');
    await page.click('button:has-text("Cấp khoá API")');
    await expect.poll(() => page.textContent('[data-testid=shown-once]')).toMatch(/^mod_/);
    await page.click('button:has-text("Thu hồi")');
    await expect.poll(() => page.locator('td:has-text("Đã thu hồi")').count()).toBe(1);
    await editFeedSettings(page);
    await lookAt('11-admin');
    await openFromNav('Hàng đợi xem xét', 'Hàng đợi xem xét');
    await expect
      .poll(() => page.textContent('[data-testid=queue] caption'))
      .toMatch(/^(Không có trường hợp nào đang chờ|\d+ trường hợp đang chờ)$/);
    await lookAt('12-review');
  }, 120_000);

  it('found no serious accessibility problem on any page, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings).length).toBeGreaterThanOrEqual(10);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
