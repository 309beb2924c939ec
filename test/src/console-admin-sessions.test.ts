import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPersonDisabled } from '@mod/db/people';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { addLiveSessions, liveSessions } from './console-sessions.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * A person enabled again on the console's admin page, in Debian's Chromium with the production build served by the
 * API on a real PostgreSQL: the enable ends any session left from before the disable (e30e0f2) and the page says
 * how many, in Vietnamese and in English; an enable that ends none says nothing. axe on each state, screenshots.
 */
const available = chromiumAvailable();
const audit = pageAudit();

let opened: ConsoleWorld | undefined;
let page: Page;

const done = () => page.locator('[data-testid=person-done]');
const row = (login: string) =>
  page.locator('section[aria-labelledby=people-title] tbody tr', {
    has: page.locator('th', { hasText: login }),
  });
/** Disables `login` as a disable that a sign-in slipped past would leave it: with `sessions` live sessions. */
async function disabledWithSessions(login: string, sessions: number): Promise<void> {
  const db = opened!.world.db;
  const { rows } = await db.query<{ id: string }>(`select id from people where login = $1`, [login]);
  await setPersonDisabled(db, rows[0]!.id, { disabled: true, reason: 'on leave' }, new Date());
  await addLiveSessions(db, login, sessions);
}

/** The admin, a person left with two live sessions by a disable, one left with none. */
const PEOPLE = ['admin.sessions', 'staff.left', 'staff.clean'].map((login) => ({
  login,
  displayName: login,
  role: 'admin',
}));

describe.skipIf(!available)('a person enabled again on the admin page', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld([{ id: 'ops', kind: 'admin', role: 'admin' }], PEOPLE);
    page = opened.page;
    audit.watch(page, opened.origin);
  }, 180_000);
  afterAll(async () => opened?.close());

  it('says how many sessions the enable ended, in both languages, and nothing when it ended none', async () => {
    await disabledWithSessions('staff.left', 2);
    await disabledWithSessions('staff.clean', 0);
    const o = opened!;
    await page.goto(`${o.origin}/console/`);
    await firstSignInAs(page, 'admin.sessions', o.oneTimes['admin.sessions'] ?? '', 'pass phrase 2');
    await page.goto(`${o.origin}/console/admin`);

    await row('staff.left').locator('button', { hasText: 'Mở khoá' }).click();
    await expect.poll(() => done().textContent()).toBe('2 phiên đăng nhập đã kết thúc');
    expect(await liveSessions(opened!.world.db, { login: 'staff.left' })).toBe(0);
    await audit.look(page, 'admin-sessions-01-ended');
    await page.selectOption('#language', 'en');
    await expect.poll(() => done().textContent()).toBe('2 sessions ended');
    await page.selectOption('#language', 'vi');

    // Nothing left to end: no message (the one before is gone once the person's row offers the disable again).
    await row('staff.clean').locator('button', { hasText: 'Mở khoá' }).click();
    await row('staff.clean').locator('button', { hasText: 'Khoá (nghỉ việc)' }).waitFor();
    expect(await done().count()).toBe(0);

    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  }, 180_000);
});
