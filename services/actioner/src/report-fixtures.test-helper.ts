import { randomBytes } from 'node:crypto';
import type { Pool } from '@mod/db';
import { fileReport } from '@mod/db/reports';

const DAY = 86_400_000;

/** What a test report says of itself (the router's tests read it back as the case's context). */
export const TEST_REPORT_TEXT = { seenWhere: 'a forum', description: 'a link somebody sent' } as const;

/**
 * Files a web report of `url` (or of each of several) at `receivedAt` (category `other`, due a day later), with
 * sealed contact details deleted `contactDays` after receipt unless null. Answers its id and its subjects' ids (the
 * first as `subjectId`).
 */
export async function fileTestReport(
  pool: Pool,
  url: string | readonly string[],
  receivedAt: Date,
  contactDays: number | null = null,
): Promise<{ id: string; subjectId: string; subjectIds: string[] }> {
  const filed = await fileReport(pool, {
    trackingSha256: randomBytes(32).toString('hex'),
    channel: 'web',
    tenantId: 'public-reports',
    filedBy: null,
    category: 'other',
    ...TEST_REPORT_TEXT,
    language: 'vi',
    urls: (typeof url === 'string' ? [url] : url).map((href) => ({
      href,
      key: href.replace(/^https?:\/\//, ''),
    })),
    receivedAt,
    dueAt: new Date(receivedAt.getTime() + DAY),
    contact:
      contactDays === null
        ? null
        : {
            sealed: Buffer.from('sealed elsewhere'),
            keyId: 'k1',
            consents: { contact: true, followUp: false },
            deleteAfter: new Date(receivedAt.getTime() + contactDays * DAY),
          },
  });
  const subjectIds = filed.subjects.map((x) => x.id);
  return { id: filed.id, subjectId: subjectIds[0]!, subjectIds };
}
