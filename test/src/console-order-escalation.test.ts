import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandOrder, openOrder } from '@mod/db/orders';
import { testOrder } from '@mod/testing';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * Why an order was escalated, in its history on the console's order page, in Debian's Chromium with the production
 * build served by the API on a real PostgreSQL: the lifecycle's escalations (a deadline missed; a verification still
 * inconclusive after the platform answered actioned late) are recorded with English notes, and the page says them
 * in the reader's language from their code; a note no escalation of the lifecycle writes is shown as stored.
 */
const available = chromiumAvailable();
const audit = pageAudit();
const HOUR = 3_600_000;

let opened: ConsoleWorld | undefined;
let page: Page;
const ids = { deadline: '', inconclusive: '' };

/** The notes column of the order's history, row by row, once the page has shown it. */
async function historyNotes(id: string): Promise<string[]> {
  await page.goto(`${opened!.origin}/console/desk/orders/${id}`);
  await page.waitForSelector('[data-testid=order-status]');
  await page.waitForLoadState('networkidle');
  return page.locator('table tbody tr td:nth-child(4)').allTextContents();
}

describe.skipIf(!available)('why an order was escalated, on the order page', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'plat-esc', kind: 'platform' },
      ],
      [{ login: 'admin.esc', displayName: 'Lê Văn Ba', role: 'admin' }],
    );
    page = opened.page;
    audit.watch(page, opened.origin);
    const db = opened.world.db;
    const now = new Date();
    // Two takedowns whose deadline passed an hour ago.
    const late = async () =>
      (
        await openOrder(
          db,
          testOrder({
            kind: 'takedown',
            subjectType: 'url',
            subjectValue: `https://plat-esc.example/${randomBytes(6).toString('hex')}.jpg`,
            targetTenantId: 'plat-esc',
            deadlineAt: new Date(now.getTime() - HOUR),
          }),
        )
      ).id;
    ids.deadline = await late();
    ids.inconclusive = await late();
    const command = async (id: string, c: Parameters<typeof commandOrder>[1]['command'], actor: string) =>
      expect((await commandOrder(db, { id, scope: { all: true }, command: c, now, actor })).ok).toBe(true);
    // The clock pass escalates the first; the platform answers the second actioned, late, and verification
    // cannot reach it: escalated as unverified.
    await command(ids.deadline, { type: 'escalate' }, 'actioner');
    await command(ids.inconclusive, { type: 'action', note: 'removed' }, 'platform:plat-esc:key-1');
    await command(ids.inconclusive, { type: 'escalate', unverified: { graceMs: 24 * HOUR } }, 'actioner');
    // An escalation recorded with a note the lifecycle does not write.
    await db.query(
      `insert into order_events (order_id, status, actor, note) values ($1, 'escalated', 'actioner', 'escalated by hand')`,
      [ids.deadline],
    );
  }, 180_000);
  afterAll(async () => opened?.close());

  it('says why in Vietnamese, from the reason code, and keeps a note it has no code for as stored', async () => {
    await page.goto(`${opened!.origin}/console/`);
    await firstSignInAs(page, 'admin.esc', opened!.oneTimes['admin.esc'] ?? '', 'một cụm mật khẩu đủ dài');
    const deadline = await historyNotes(ids.deadline);
    expect(deadline).toContain('Quá thời hạn mà bên nhận chưa xử lý lệnh');
    expect(deadline.at(-1)).toBe('escalated by hand');
    expect(deadline.join('\n')).not.toMatch(/deadline .* missed/);
    await audit.look(page, 'order-escalation-deadline');
    const inconclusive = await historyNotes(ids.inconclusive);
    expect(inconclusive).toContain(
      'Không kiểm chứng được việc xử lý: bên nhận báo đã xử lý nhưng địa chỉ không truy cập được để kiểm tra',
    );
    expect(inconclusive).toContain('removed');
    await audit.look(page, 'order-escalation-inconclusive');
  }, 120_000);

  it('says it in English too', async () => {
    await historyNotes(ids.inconclusive);
    await page.selectOption('#language', 'en');
    await expect.poll(() => page.locator('#page-title').textContent()).toBe('Order');
    expect(await page.locator('table tbody tr td:nth-child(4)').allTextContents()).toContain(
      'Verification inconclusive: the target says it acted, but the address could not be reached to check',
    );
    await page.selectOption('#language', 'vi');
  });

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings)).toHaveLength(2);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
