import { describe, expect, it } from 'vitest';
import type { Order } from '../api/types.js';
import { deadlineState, deskOrder, toCsv } from './orders-model.js';

const NOW = Date.parse('2026-12-06T03:00:00.000Z');
const HOUR = 3_600_000;

function order(
  id: string,
  o: { status?: string; deadlineInH: number; paused?: boolean; issuedHAgo?: number },
): Order {
  return {
    id,
    status: o.status ?? 'issued',
    deadlineAt: new Date(NOW + o.deadlineInH * HOUR).toISOString(),
    issuedAt: new Date(NOW - (o.issuedHAgo ?? 1) * HOUR).toISOString(),
    clock: { pausedAt: o.paused === true ? new Date(NOW).toISOString() : null },
  } as unknown as Order;
}

describe("the desk's order", () => {
  it('puts overdue orders first (longest overdue on top), then the nearest deadlines, then paused, done and closed', () => {
    const orders = [
      order('closed', { status: 'verified', deadlineInH: -50 }),
      order('soon', { deadlineInH: 1 }),
      order('done', { status: 'actioned', deadlineInH: -5 }),
      order('late-a-bit', { deadlineInH: -1 }),
      order('paused', { deadlineInH: -3, paused: true }),
      order('later', { deadlineInH: 20 }),
      order('very-late', { deadlineInH: -30, status: 'reopened' }),
    ];
    expect(deskOrder(orders, NOW).map((o) => o.id)).toEqual([
      'very-late',
      'late-a-bit',
      'soon',
      'later',
      'paused',
      'done',
      'closed',
    ]);
  });

  it('counts down while the target owes the action, and stops when paused, actioned or closed', () => {
    expect(deadlineState(order('a', { deadlineInH: 2 }), NOW)).toEqual({ kind: 'running', leftMs: 2 * HOUR });
    expect(deadlineState(order('a', { deadlineInH: -2 }), NOW)).toEqual({ kind: 'overdue', byMs: 2 * HOUR });
    expect(deadlineState(order('a', { deadlineInH: -2, paused: true }), NOW)).toEqual({ kind: 'paused' });
    expect(deadlineState(order('a', { deadlineInH: -2, status: 'actioned' }), NOW)).toEqual({ kind: 'done' });
    expect(deadlineState(order('a', { deadlineInH: -2, status: 'withdrawn' }), NOW)).toEqual({
      kind: 'closed',
    });
  });
});

describe('CSV', () => {
  it('quotes every field, doubles quotes, keeps numbers, and defuses formulas in text', () => {
    expect(
      toCsv([
        ['scope', 'n'],
        ['isp "one"', 3],
        ['=HYPERLINK("x")', -1],
        ['-2', null],
      ]),
    ).toBe('"scope","n"\r\n"isp ""one""","3"\r\n"\'=HYPERLINK(""x"")","-1"\r\n"\'-2",""\r\n');
  });

  it('defuses every cell text starting as a spreadsheet formula would (=, +, -, @, tab, carriage return)', () => {
    const attacks = ['=1+1', '+cmd|"/C calc"!A0', '-2+3', '@SUM(A1)', '\t=1', '\r=1'];
    const cells = toCsv([attacks, [' =1', 'a=1', 'Platform: =1']]).split('\r\n');
    expect(cells[0]).toBe(
      ['"\'=1+1"', '"\'+cmd|""/C calc""!A0"', '"\'-2+3"', '"\'@SUM(A1)"', '"\'\t=1"', '"\'\r=1"'].join(','),
    );
    // Text that a spreadsheet reads as text is left as it is.
    expect(cells[1]).toBe('" =1","a=1","Platform: =1"');
  });
});
