import { initialOrderState, type OrderClockState } from './order-machine.js';

/** The order tests' clock: an hour in ms, and the time `hours` after the moment every test order is issued. */
export const H = 3_600_000;
const t0 = new Date('2026-03-01T00:00:00Z');
export const at = (hours: number) => new Date(t0.getTime() + hours * H);

/** A fresh order issued at `at(0)`, due after 24 h and re-noticed every 24 h. */
export const fresh = (): OrderClockState =>
  initialOrderState({ issuedAt: at(0), deadlineAt: at(24), renoticeIntervalMs: 24 * H });
