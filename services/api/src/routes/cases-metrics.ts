import type { Pool } from '@mod/db';
import { reviewQueueStats, type QueueStats } from '@mod/db/cases';
import { Counter, Gauge, type Registry } from '@mod/telemetry';
import { sharedScrapeRead } from '../scrape-read.js';

/**
 * The review queues' metrics, registered once per app: per kind of case (`review`, `confirm`, `escalation`) the
 * queue size, the age of the oldest open case and the open cases past their deadline, read from PostgreSQL at
 * each scrape (one query, shared by the three gauges); decisions by decision (their rate is decisions per
 * hour: `increase(mod_review_decisions_total[1h])`); what people were shown of case media: full-image reveals, and
 * previews (each an exposure too, if a lesser one).
 */
export function registerCaseMetrics(o: {
  registry: Registry;
  db: Pool;
  now: () => Date;
  reviewDeadlineHours: number;
}) {
  const registers = [o.registry];
  // The three gauges are collected one after another at a scrape: they share one read of the queues.
  const stats = sharedScrapeRead(() => reviewQueueStats(o.db, o.now(), o.reviewDeadlineHours));
  const gauge = (name: string, help: string, value: (s: QueueStats, now: Date) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers,
      async collect() {
        const all = await stats();
        const now = o.now();
        for (const s of all ?? []) this.set({ kind: s.kind }, value(s, now));
      },
    });
  gauge('mod_review_queue_size', 'Open (undecided) cases, by kind', (s) => s.open);
  gauge(
    'mod_review_oldest_case_age_seconds',
    'Age of the oldest open case, by kind (0: none open)',
    (s, now) =>
      s.oldestOpenAt === null ? 0 : Math.max(0, (now.getTime() - s.oldestOpenAt.getTime()) / 1000),
  );
  gauge('mod_review_overdue', 'Open cases past their review deadline, by kind', (s) => s.overdue);
  const decisions = new Counter({
    name: 'mod_review_decisions_total',
    help: 'Case decisions by people, by decision',
    labelNames: ['decision'],
    registers,
  });
  for (const decision of ['confirm', 'dismiss', 'escalate']) decisions.inc({ decision }, 0);
  const reveals = new Counter({
    name: 'mod_review_reveals_total',
    help: 'Full-image reveals of case media by people',
    registers,
  });
  const previews = new Counter({
    name: 'mod_review_previews_total',
    help: 'Previews (greyscale, reduced) of case media shown to people',
    registers,
  });
  return { decisions, reveals, previews };
}
