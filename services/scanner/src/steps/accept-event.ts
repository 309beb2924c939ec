import { readMediaEvent, type MediaEvent } from '@mod/contracts';
import { refuseTenant } from '@mod/db/submissions';
import type { ConsumedMessage } from '@mod/kafka';
import type { ScanStore } from '../scan-store.js';
import type { Stage } from './stage.js';

/** Tenant kinds whose media each source carries. */
/**
 * Who sends media how. The fetcher fetches ISPs' observed URLs (and an admin's samples), and the URLs citizens,
 * the hotline and platforms report (routed for the public-reports or hotline tenant, or the platform): it checked
 * the tenant for the event's purpose before fetching, and only it and the API write the internal media topic.
 */
const KINDS_OF_SOURCE = {
  api: ['platform', 'admin'],
  kafka: ['platform'],
  fetcher: ['isp', 'admin', 'hotline', 'platform'],
} as const;

/**
 * Reads the event a media message carries (its tenant established by the topic it came on, never by a partner's
 * payload) and refuses it when that tenant is unknown, disabled or of a kind that does not send media this way.
 */
export async function acceptEvent(
  m: ConsumedMessage,
  where: { mediaTopic: string; topicPrefix: string },
  store: Pick<ScanStore, 'tenants'>,
): Promise<Stage<MediaEvent>> {
  const read = readMediaEvent(m, where);
  if (!read.ok) return { done: { kind: 'dlq', code: read.code, message: read.message } };
  const refused = await refuseTenant(store.tenants, read.event.tenantId, KINDS_OF_SOURCE[read.event.source]);
  if (refused !== null) return { done: { kind: 'dlq', ...refused } };
  return { next: read.event };
}
