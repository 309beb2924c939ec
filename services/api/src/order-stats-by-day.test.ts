import { describe, expect, it } from 'vitest';
import { OrderStatuses } from '@mod/orders';
import { useCallersWorld } from './callers-world.test-helper.js';

let clock = new Date('2025-03-01T10:00:00Z');

const api = useCallersWorld(
  {
    authority: ['auth-1', 'authority'],
    other: ['auth-2', 'authority'],
    platform: ['platform-1', 'platform'],
  },
  { build: { now: () => clock } },
);

type Day = { day: string; byStatus: Record<string, number> };
const nonZero = (days: Day[]) =>
  days.map((d) => ({
    day: d.day,
    ...Object.fromEntries(Object.entries(d.byStatus).filter(([, n]) => n > 0)),
  }));

describe('orders by status over time (GET /v1/order-stats byDay)', () => {
  it('counts the status each order stood in at the end of each Asia/Ho_Chi_Minh day, for the caller', async () => {
    const issue = async (n: number) => {
      const res = await api.call(api.keys.authority, 'POST', '/v1/orders', {
        kind: 'takedown',
        targetTenantId: 'platform-1',
        subject: { type: 'url', value: `https://platform-1.example/${n}` },
        legalBasisId: 'vn-decree-147-complaint',
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string }>().id;
    };
    // 17:00 on 1 March in Hà Nội: two orders.
    const a = await issue(1);
    const b = await issue(2);
    // 09:00 on 2 March: the platform acknowledges one, the authority extends it (an event that is no status:
    // not counted) and withdraws the other.
    clock = new Date('2025-03-02T02:00:00Z');
    expect((await api.call(api.keys.platform, 'POST', `/v1/orders/${a}/acknowledge`)).statusCode).toBe(200);
    const extended = await api.call(api.keys.authority, 'POST', `/v1/orders/${a}/extend`, {
      hours: 12,
      reason: 'more time',
    });
    expect(extended.statusCode, extended.body).toBe(200);
    const withdrawn = await api.call(api.keys.authority, 'POST', `/v1/orders/${b}/withdraw`, {
      reason: 'x',
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    // 01:00 on 3 March (18:00 on 2 March in UTC): actioned.
    clock = new Date('2025-03-02T18:00:00Z');
    const actioned = await api.call(api.keys.platform, 'POST', `/v1/orders/${a}/actioned`, {
      note: 'gone',
    });
    expect(actioned.statusCode, actioned.body).toBe(200);

    const stats = await api.call(api.keys.authority, 'GET', '/v1/order-stats?since=2025-02-28T20:00:00Z');
    expect(stats.statusCode, stats.body).toBe(200);
    const days = stats.json<{ byDay: Day[] }>().byDay;
    expect(stats.json()).toMatchObject({
      byTarget: [{ targetTenantId: 'platform-1', targetKind: 'platform' }],
    });
    // Every status, in the lifecycle's order (the order machine's list), zeros included.
    expect(Object.keys(days[0]!.byStatus)).toEqual([...OrderStatuses]);
    // 20:00 UTC on 28 February is 03:00 on 1 March in Hà Nội: the series starts on 1 March.
    expect(nonZero(days)).toEqual([
      { day: '2025-03-01', issued: 2 },
      { day: '2025-03-02', acknowledged: 1, withdrawn: 1 },
      { day: '2025-03-03', actioned: 1, withdrawn: 1 },
    ]);
    // Another authority sees none of them, day by day; the last 30 days by default.
    const other = await api.call(api.keys.other, 'GET', '/v1/order-stats');
    const otherDays = other.json<{ byDay: Day[] }>().byDay;
    expect(otherDays).toHaveLength(30);
    expect(otherDays.at(-1)?.day).toBe('2025-03-03');
    expect(nonZero(otherDays).every((d) => Object.keys(d).length === 1)).toBe(true);
  });
});
