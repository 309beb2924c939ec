import { readMediaEvent, type MediaEvent } from '@mod/contracts';
import { refuseTenant } from '@mod/db/submissions';
import type { ConsumedMessage } from '@mod/kafka';
import type { ScanStore } from '../scan-store.js';
import type { Stage } from './stage.js';

/** Tenant kinds whose media each source carries. */
const KINDS_OF_SOURCE = { api: ['platform', 'admin'], kafka: ['platform'], fetcher: ['isp'] } as const;

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
