import { MEDIA_META_HEADER } from './events.js';
import { TENANT_ID_PATTERN } from './topics.js';

/** Values larger than this are not parsed for their tenant (our own events are a few KiB). */
const MAX_ENVELOPE_BYTES = 256 * 1024;

function tenantIn(json: Buffer | undefined | null): string | null {
  if (json === undefined || json === null || json.length > MAX_ENVELOPE_BYTES || json[0] !== 0x7b)
    return null;
  try {
    const parsed: unknown = JSON.parse(json.toString('utf8'));
    const tenantId = (parsed as { tenantId?: unknown } | null)?.tenantId;
    return typeof tenantId === 'string' && TENANT_ID_PATTERN.test(tenantId) ? tenantId : null;
  } catch {
    return null;
  }
}

/**
 * The tenant a record of one of our own topics names, as the steps read it: the `mod-meta` header's `tenantId` on
 * the media topic (`MediaEventMeta`, its value the media's bytes, never parsed), else the JSON value's `tenantId`
 * (`Verdict`, `Classified`). Our own topics are written only by our services' principals, which are trusted to name
 * the tenant. Null when none is named or it cannot be read (a record too damaged to say whose it is), or it is not
 * a tenant id. For dead-letter bounds only (`DeadLetterTenancy.recordTenantOf` of `@mod/kafka`): never a partner's
 * topic, whose tenant is the topic's.
 */
export function ownRecordTenant(m: {
  headers: Readonly<Record<string, Buffer>>;
  value: Buffer | null;
}): string | null {
  const meta = m.headers[MEDIA_META_HEADER];
  return meta === undefined ? tenantIn(m.value) : tenantIn(meta);
}
