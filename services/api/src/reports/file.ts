import type { UrlObserved } from '@mod/contracts';
import { withTransaction, type Pool, type Queryable } from '@mod/db';
import { appendAudit, type AuditEntry } from '@mod/db/audit';
import { enqueueOutbox } from '@mod/db/outbox';
import {
  fileReport,
  keepReportReplay,
  openReportsByChannel,
  ReportChannels,
  takeReportReplayKey,
  type ReportChannel,
  type ReportReplay,
} from '@mod/db/reports';
import { sealSecret } from '@mod/people';
import { Counter, Gauge, type Registry } from '@mod/telemetry';
import {
  newTrackingCode,
  reportError,
  ReportErrorCode,
  trackingDigest,
  type CheckedReport,
} from './intake.js';
import { sharedScrapeRead } from '../scrape-read.js';
import {
  openReplay,
  REPORT_IDEMPOTENCY_WINDOW_MS,
  replayRequestDigest,
  sealReplay,
  type ReplayedAnswer,
  type ReplayRequest,
} from './replay.js';
import type { ReportSettings } from './settings.js';

/** Who files a report: the channel, the tenant it belongs to, and the credential or person (null: the public). */
export interface ReportFiler {
  channel: ReportChannel;
  tenantId: string;
  filedBy: string | null;
  audit: Pick<AuditEntry, 'actor' | 'role' | 'tenantId'>;
}

export interface FiledReport {
  id: string;
  trackingCode: string;
  dueAt: Date;
  /** Subjects this report opened (routed now) and joined (another report's, still open). */
  opened: number;
  folded: number;
  /** The first answer to the request's Idempotency-Key again: nothing was filed now. */
  replayed: boolean;
}

export interface ReportFiling {
  /**
   * Files a report. With an `idempotencyKey` (the API's channels), the same key and request of the tenant within
   * `REPORT_IDEMPOTENCY_WINDOW_MS` answer the first report again (`replayed`); the key with another request, 409.
   * `claim` runs in the filing's transaction before anything is filed (once the key is taken, and not when the
   * first answer is replayed); what it throws files nothing. The public form takes its one-time token there.
   */
  file(
    filer: ReportFiler,
    report: CheckedReport,
    language: 'vi' | 'en',
    idempotencyKey?: string | null,
    claim?: (c: Queryable) => Promise<void>,
  ): Promise<FiledReport>;
}

/** The contact owner string the sealed details are bound to (a sealed blob copied to another report won't open). */
export const contactOwner = (reportId: string) => `report-contact:${reportId}`;

/**
 * Files reports from every channel the same way, in one transaction: the report and its URLs folded into open
 * subjects, an observed-URL event in the outbox for each new subject (the API's relay publishes it to the
 * fetcher, as ISP traffic), the sealed contact details, and an audit record. The tracking code is returned once.
 */
export function createReportFiling(o: {
  db: Pool;
  urlObservedTopic: string;
  settings: ReportSettings;
  registry: Registry;
  now: () => Date;
}): ReportFiling {
  const received = new Counter({
    name: 'mod_reports_received_total',
    help: "Citizens' reports filed, by channel (web, hotline, platform)",
    labelNames: ['channel'],
    registers: [o.registry],
  });
  for (const channel of ReportChannels) received.inc({ channel }, 0);
  return {
    async file(filer, report, language, idempotencyKey = null, claim) {
      const { settings } = o;
      if (report.contact !== null && settings.contactKey === null)
        throw reportError(
          ReportErrorCode.ContactUnavailable,
          'contact details cannot be kept: no key is configured',
        );
      // The first answer holds the tracking code, kept only sealed: without the key, no replay can be promised.
      if (idempotencyKey !== null && settings.contactKey === null)
        throw reportError(
          ReportErrorCode.ReplayUnavailable,
          'an Idempotency-Key needs REPORT_CONTACT_KEY (the first answer is kept sealed); send the report without one',
        );
      const replay: ReplayRequest | null =
        idempotencyKey === null
          ? null
          : {
              tenantId: filer.tenantId,
              idempotencyKey,
              digest: replayRequestDigest(filer, report, language),
            };
      const now = o.now();
      const trackingCode = newTrackingCode();
      const dueAt = new Date(now.getTime() + settings.deadlineHours * 3_600_000);
      const id = crypto.randomUUID();
      const contact =
        report.contact === null || settings.contactKey === null
          ? null
          : {
              sealed: sealSecret(settings.contactKey, JSON.stringify(report.contact), contactOwner(id)),
              keyId: settings.contactKey.fingerprint,
              consents: report.consents,
              deleteAfter: new Date(now.getTime() + settings.contactRetentionDays * 86_400_000),
            };
      type Outcome = { kept: ReportReplay } | { answer: ReplayedAnswer };
      const filed = await withTransaction(o.db, async (c): Promise<Outcome> => {
        // The key first: a concurrent request with it waits here on the primary key, then replays this answer.
        if (replay !== null) {
          const taken = await takeReportReplayKey(c, {
            ...replay,
            reportId: id,
            expiresAt: new Date(now.getTime() + REPORT_IDEMPOTENCY_WINDOW_MS),
            now,
          });
          if (taken !== 'taken') return { kept: taken };
        }
        await claim?.(c);
        const stored = await fileReport(c, {
          id,
          trackingSha256: trackingDigest(trackingCode),
          channel: filer.channel,
          tenantId: filer.tenantId,
          filedBy: filer.filedBy,
          category: report.category,
          seenWhere: report.seenWhere,
          description: report.description,
          language,
          urls: report.urls,
          receivedAt: now,
          dueAt,
          contact,
        });
        for (const s of stored.subjects.filter((x) => x.created)) {
          const event: UrlObserved = {
            eventId: s.eventId,
            tenantId: s.tenantId,
            source: 'api',
            url: s.url,
            observedAt: now.toISOString(),
            purpose: 'report',
          };
          // Keyed by host, as ISP traffic: one fetcher sees a host's URLs in order.
          await enqueueOutbox(c, o.urlObservedTopic, new URL(s.url).host, event);
        }
        await appendAudit(c, {
          ...filer.audit,
          action: 'report.filed',
          subject: { type: 'report', id },
          evidence: {
            channel: filer.channel,
            category: report.category,
            urls: report.urls.length,
            subjects: stored.subjects.map((s) => s.id),
            contact: contact !== null,
          },
        });
        const opened = stored.subjects.filter((s) => s.created).length;
        const answer = { id, trackingCode, dueAt, opened, folded: stored.subjects.length - opened };
        if (replay !== null && settings.contactKey !== null)
          await keepReportReplay(c, {
            ...replay,
            sealed: sealReplay(settings.contactKey, replay, answer),
            keyId: settings.contactKey.fingerprint,
          });
        return { answer };
      });
      if ('kept' in filed) {
        if (replay === null) throw new Error('a replay without an Idempotency-Key');
        return { ...openReplay(settings, replay, filed.kept), replayed: true };
      }
      received.inc({ channel: filer.channel });
      return { ...filed.answer, replayed: false };
    },
  };
}

/**
 * The programme's standing figures as metrics, read from the database at each scrape (one read shared by both
 * gauges): reports without an outcome and those past their deadline, per channel (received and handled counts come
 * from `reportStats` over the API).
 */
export function registerReportGauges(registry: Registry, db: Pool, now: () => Date): void {
  const read = sharedScrapeRead(() => openReportsByChannel(db, now()));
  const gauge = (name: string, help: string, pick: (x: { open: number; overdue: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['channel'],
      registers: [registry],
      async collect() {
        const rows = await read();
        if (rows === null) return;
        for (const channel of ReportChannels) {
          const row = rows.find((r) => r.channel === channel);
          this.set({ channel }, row === undefined ? 0 : pick(row));
        }
      },
    });
  gauge('mod_reports_open', "Citizens' reports without an outcome yet, by channel", (x) => x.open);
  gauge(
    'mod_reports_overdue',
    "Citizens' reports past their handling deadline without an outcome, by channel",
    (x) => x.overdue,
  );
}
