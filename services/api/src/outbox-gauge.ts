import type { Queryable } from '@mod/db';
import { countUnpublished, type OutboxFilter } from '@mod/db/outbox';
import { countPendingMedia } from '@mod/db/submissions';
import { Gauge, type Registry } from '@mod/telemetry';
import { sharedScrapeRead } from './scrape-read.js';

/**
 * `mod_api_outbox_pending{outbox}`: uploads in the intake outbox (`media`) and the messages of `relayed` committed and
 * not yet published (`outbox`), read from PostgreSQL when scraped (on the ops server). The two counts are one read
 * shared by every scrape within a second, so a flood of scrapes is not a flood of queries. The database away: the gauge keeps its last values (readiness says so).
 */
export function registerOutboxGauge(registry: Registry, db: Queryable, relayed: OutboxFilter): void {
  const read = sharedScrapeRead(async () => ({
    media: await countPendingMedia(db),
    outbox: await countUnpublished(db, relayed),
  }));
  new Gauge({
    name: 'mod_api_outbox_pending',
    help: 'Messages committed and not yet published (media: intake; outbox: curation and tree heads)',
    labelNames: ['outbox'],
    registers: [registry],
    async collect() {
      const counts = await read();
      if (counts === null) return;
      this.set({ outbox: 'media' }, counts.media);
      this.set({ outbox: 'outbox' }, counts.outbox);
    },
  });
}
