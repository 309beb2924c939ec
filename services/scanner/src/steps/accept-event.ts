import { readMediaEvent, type MediaEvent } from '@mod/contracts';
import { refuseMediaSender } from '@mod/db/submissions';
import type { ConsumedMessage } from '@mod/kafka';
import type { ScanStore } from '../scan-store.js';
import type { Stage } from './stage.js';

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
  const refused = await refuseMediaSender(store.tenants, read.event);
  if (refused !== null) return { done: { kind: 'dlq', ...refused } };
  return { next: read.event };
}
