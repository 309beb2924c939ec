import type { I18n } from '../i18n/locale.js';

/** A deadline's clock while it runs: the time left, or how long ago it passed. */
export type RunningClock = { kind: 'running'; leftMs: number } | { kind: 'overdue'; byMs: number };

/** Time left, or overdue by, in words. */
export const clockText = (i18n: I18n, c: RunningClock): string =>
  c.kind === 'overdue'
    ? i18n.t('desk.overdueBy', { time: i18n.clock(c.byMs) })
    : i18n.t('desk.timeLeft', { time: i18n.clock(c.leftMs) });

/** A deadline's countdown in words, styled by its state (`countdown-running`, `-overdue`, `-paused`, `-done`, …). */
export function CountdownText(props: { state: string; text: string; testId: string }) {
  return (
    <span class={`countdown countdown-${props.state}`} data-testid={props.testId}>
      {props.text}
    </span>
  );
}
