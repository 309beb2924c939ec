import { randomUUID } from 'node:crypto';
import type { MediaEventMeta } from '@mod/contracts';

/** The metadata of a media event submitted through the API now by `tenantId` (a fresh event id). */
export function apiMediaMeta(submissionId: string, tenantId: string): MediaEventMeta {
  return {
    eventId: randomUUID(),
    submissionId,
    tenantId,
    source: 'api',
    submittedAt: new Date().toISOString(),
  };
}
