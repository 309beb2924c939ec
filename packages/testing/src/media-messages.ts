import { randomUUID } from 'node:crypto';
import { MEDIA_META_HEADER } from '@mod/contracts';
import type { ConsumedMessage } from '@mod/kafka';

/** A media message as a worker's step receives it from the internal media topic. */
export interface UploadedMediaOptions {
  topic: string;
  submissionId: string;
  value: Buffer;
  /** Default `platform-1`. */
  tenantId?: string;
  /** Default `api`. */
  source?: 'api' | 'fetcher';
  /** Default now. */
  submittedAt?: string;
  /** Kafka timestamp, ms. Default now. */
  timestamp?: number;
}

/**
 * A media message as the API's intake publishes an upload (key: the submission id, a fresh event id in the
 * `mod-meta` header), for unit tests of the steps that consume the media topic (scanner, classifier).
 */
export function uploadedMediaMessage(o: UploadedMediaOptions): ConsumedMessage {
  const meta = {
    eventId: randomUUID(),
    submissionId: o.submissionId,
    tenantId: o.tenantId ?? 'platform-1',
    source: o.source ?? 'api',
    submittedAt: o.submittedAt ?? new Date().toISOString(),
  };
  return {
    topic: o.topic,
    partition: 0,
    offset: '0',
    key: o.submissionId,
    value: o.value,
    headers: { [MEDIA_META_HEADER]: Buffer.from(JSON.stringify(meta)) },
    timestamp: o.timestamp ?? Date.now(),
  };
}
