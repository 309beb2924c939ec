import { withTransaction, type Pool } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import { shortenReportContactRetention } from '@mod/db/reports';
import type { Logger } from '@mod/telemetry';

/**
 * Applies the contact retention configured now (`REPORT_CONTACT_RETENTION_DAYS`) to contact details already
 * stored, when the API starts (the only time the setting changes): each is deleted by `retentionDays` after its
 * report was received at the latest, not at a later time fixed under a longer setting. The actioner's next pass
 * deletes those now due. Shortened deadlines are on the audit record (how many, under which setting), committed
 * with them. Answers how many were shortened.
 */
export async function applyContactRetention(
  db: Pool,
  retentionDays: number,
  logger: Logger,
): Promise<number> {
  const shortened = await withTransaction(db, async (c) => {
    const n = await shortenReportContactRetention(c, retentionDays);
    if (n > 0)
      await appendAudit(c, {
        actor: { kind: 'service', id: 'api' },
        role: null,
        tenantId: null,
        action: 'report.contact.retention_shortened',
        subject: { type: 'report-contacts', id: 'retention' },
        reason: `REPORT_CONTACT_RETENTION_DAYS is ${retentionDays}`,
        evidence: { retentionDays, contacts: n },
      });
    return n;
  });
  if (shortened > 0)
    logger.info(
      { contacts: shortened, retentionDays },
      "reporters' contact details kept longer than the retention now configured: deleted at its end",
    );
  return shortened;
}
