import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * The browser side of the console's end-to-end tests: Debian's Chromium driven by playwright-core (which cannot
 * download browsers here), axe-core injected into each page, TOTP codes computed as an authenticator app does,
 * screenshots for a person to look at, and a watch on what each page loads.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../console-screenshots/', import.meta.url));

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_PATH);

/** A browser context of a small phone in Vietnam with JavaScript off (the public pages must work so). */
export const PHONE_WITHOUT_SCRIPTS = {
  javaScriptEnabled: false,
  viewport: { width: 360, height: 740 },
  locale: 'vi-VN',
} as const;

export function launchChromium(): Promise<Browser> {
  // Root in a container has no user namespace for Chromium's sandbox; the pages are our own console.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** RFC 4648 base32 (the alphabet authenticator apps read), without padding. */
function base32Bytes(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The TOTP code (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits) of a base32 secret, `stepOffset` steps from now. */
export function totpCode(secret: string, stepOffset = 0, nowMs = Date.now()): string {
  const step = Math.floor(nowMs / 30_000) + stepOffset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Bytes(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

/** What a page did that it must not: scripts the policy refused, requests to another origin, uncaught errors. */
export interface PageWatch {
  problems: string[];
}

/** Records CSP violations, requests leaving `origin` and page errors, for the test to assert there were none. */
export function watchPage(page: Page, origin: string): PageWatch {
  const watch: PageWatch = { problems: [] };
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) watch.problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== origin)
      watch.problems.push(`request to another origin: ${r.url()}`);
  });
  return watch;
}

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

/** An axe-core violation of impact serious or critical: what failed and where. */
export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page (injected through the DevTools protocol, which the page's CSP does not govern; the
 * console itself loads no script but its own) and answers its serious and critical violations.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeProblem[]> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    type Result = {
      violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
    };
    // In the page (no DOM types in the tests' build): axe.run over the whole document.
    const g = globalThis as unknown as {
      axe: { run: (c: unknown, o: object) => Promise<Result> };
      document: unknown;
    };
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A full-page screenshot in test/console-screenshots/ (git-ignored) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: true });
}

/**
 * First sign-in as a person does it: the one-time password, a new password (twice), TOTP enrolment with the code
 * computed from the secret the page shows; answers the enrolled secret. `lookAt` (if given) runs on the new-password
 * and enrolment pages (axe, screenshot).
 */
export async function firstSignInAs(
  page: Page,
  login: string,
  oneTime: string,
  password: string,
  lookAt?: (name: string) => Promise<void>,
): Promise<string> {
  const title = () => page.locator('#page-title');
  // Each step hashes a password with argon2 (and the sign-in checks the lock-out first): on a loaded machine that
  // takes longer than expect.poll's default second.
  const step = { timeout: 15_000 };
  await page.fill('#login', login);
  await page.fill('#password', oneTime);
  await page.click('button[type=submit]');
  await expect.poll(() => title().textContent(), step).toBe('Đặt mật khẩu mới');
  await lookAt?.('02-new-password');
  await page.fill('#new-password', password);
  await page.fill('#new-password-again', password);
  await page.click('button[type=submit]');
  await expect.poll(() => title().textContent(), step).toBe('Thiết lập xác thực hai lớp');
  await lookAt?.('03-totp-enrolment');
  const secret = (await page.getAttribute('[data-testid=totp-secret]', 'data-secret')) ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  await page.fill('#enrol-code', totpCode(secret));
  await page.click('button[type=submit]');
  await page.waitForSelector('nav');
  return secret;
}

/**
 * What a browser test checks on every page it shows: axe's serious findings per named state (each state also
 * screenshotted) and what each watched page did (`watchPage`). The test's last step asserts both are empty.
 */
export interface PageAudit {
  /** axe's serious and critical findings, by the name of the state looked at (empty lists included). */
  readonly findings: Record<string, AxeProblem[]>;
  /** Watches `page` for refused scripts, requests leaving `origin` and page errors. */
  watch(page: Page, origin: string): void;
  /** Runs axe on the page as it is now, keeps what it found under `name`, and takes its screenshot. */
  look(page: Page, name: string): Promise<void>;
  /** The states axe found something in, with what it found. */
  statesWithFindings(): Record<string, AxeProblem[]>;
  /** Every watched page's problems. */
  pageProblems(): string[];
}

export function pageAudit(): PageAudit {
  const findings: Record<string, AxeProblem[]> = {};
  const watches: PageWatch[] = [];
  return {
    findings,
    watch: (page, origin) => void watches.push(watchPage(page, origin)),
    async look(page, name) {
      findings[name] = await seriousAxeViolations(page);
      await screenshot(page, name);
    },
    statesWithFindings: () => Object.fromEntries(Object.entries(findings).filter(([, v]) => v.length > 0)),
    pageProblems: () => watches.flatMap((w) => w.problems),
  };
}
