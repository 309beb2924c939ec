import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSession, setPersonDisabled } from '@mod/db/people';
import { newSessionToken, tokenDigest } from '@mod/people';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
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
const liveSessions = async (login: string) =>
  (
    await opened!.world.db.query<{ n: number }>(
      `select count(*)::int as n from person_sessions s join people p on p.id = s.person_id
       where p.login = $1 and s.revoked_at is null`,
      [login],
    )
  ).rows[0]?.n;

/** Disables `login` as a disable that a sign-in slipped past would leave it: with `sessions` live sessions. */
async function disabledWithSessions(login: string, sessions: number): Promise<void> {
  const db = opened!.world.db;
  const { rows } = await db.query<{ id: string }>(`select id from people where login = $1`, [login]);
  const personId = rows[0]!.id;
  const now = new Date();
  await setPersonDisabled(db, personId, { disabled: true, reason: 'on leave' }, now);
  for (let i = 0; i < sessions; i++)
    await insertSession(db, {
      tokenSha256: tokenDigest(newSessionToken()),
      personId,
      stage: 'full',
      clientAddress: '127.0.0.1',
      now,
      expiresAt: new Date(now.getTime() + 3600_000),
    });
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
    expect(await liveSessions('staff.left')).toBe(0);
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
