import type { SubmissionInput } from './submissions.js';
import type { TenantKind } from './tenants.js';
import type { Pool, PoolClient, Queryable } from './pool.js';
import { withTransaction } from './pool.js';

/** A media upload as the API received it: the submission row and the message that will announce it. */
export interface ReceivedMedia {
  submissionId: string;
  tenantId: string;
  externalRef: string | null;
  reportedCategory: string | null;
  sha256: string;
  bytes: number;
  /** The client's idempotency key, if it sent one. */
  idempotencyKey: string | null;
  topic: string;
  /** The `mod-meta` header (UTF-8 JSON of the event). */
  meta: Buffer;
  media: Buffer;
  /** The upload's trace context, published with the message (`traceparent` header). */
  traceparent: string | null;
}

export type ReceiveResult =
  /** `outboxId`: the media message's row, which the API publishes at once and deletes (`deletePublishedMedia`). */
  | { kind: 'received'; submissionId: string; receivedAt: string; outboxId: number }
  /** The same idempotency key was used before for the same content: the first submission stands. */
  | { kind: 'replayed'; submissionId: string; receivedAt: string; status: string }
  /** The same idempotency key was used before for other content, or the same with other fields. */
  | { kind: 'key-reused'; submissionId: string };

/**
 * Records a submission and enqueues its media message in one transaction (intake outbox): either both exist or
 * neither, so a failed publish never leaves a submission stuck. A retry with the same idempotency key (same
 * tenant) returns the first submission instead of creating another.
 */
export async function receiveMedia(pool: Pool, r: ReceivedMedia): Promise<ReceiveResult> {
  return withTransaction(pool, async (c) => {
    const inserted = await c.query<{ received_at: Date }>(
      `/* api:receive-submission */ insert into submissions (id, tenant_id, source, external_ref, reported_category,
         sha256, bytes, status, idempotency_key)
       values ($1, $2, 'api', $3, $4, $5, $6, 'received', $7)
       on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
       returning received_at`,
      [r.submissionId, r.tenantId, r.externalRef, r.reportedCategory, r.sha256, r.bytes, r.idempotencyKey],
    );
    const row = inserted.rows[0];
    if (row === undefined) return previousSubmission(c, r);
    const outbox = await c.query<{ id: number }>(
      `/* api:enqueue-media */ insert into media_outbox (submission_id, topic, key, meta, media, traceparent)
       values ($1, $2, $3, $4, $5, $6) returning id`,
      [r.submissionId, r.topic, r.submissionId, r.meta, r.media, r.traceparent],
    );
    return {
      kind: 'received',
      submissionId: r.submissionId,
      receivedAt: row.received_at.toISOString(),
      outboxId: outbox.rows[0]?.id ?? 0,
    };
  });
}

async function previousSubmission(c: PoolClient, r: ReceivedMedia): Promise<ReceiveResult> {
  const { rows } = await c.query<{
    id: string;
    sha256: string | null;
    external_ref: string | null;
    reported_category: string | null;
    status: string;
    received_at: Date;
  }>(
    `/* api:idempotent-submission */ select id, sha256, external_ref, reported_category, status, received_at
     from submissions where tenant_id = $1 and idempotency_key = $2`,
    [r.tenantId, r.idempotencyKey],
  );
  const prev = rows[0];
  if (prev === undefined) throw new Error('idempotency conflict without a row');
  // A retry repeats the whole request: other fields under the same key would be dropped without a word.
  if (
    prev.sha256 !== r.sha256 ||
    prev.external_ref !== r.externalRef ||
    prev.reported_category !== r.reportedCategory
  )
    return { kind: 'key-reused', submissionId: prev.id };
  return {
    kind: 'replayed',
    submissionId: prev.id,
    receivedAt: prev.received_at.toISOString(),
    status: prev.status,
  };
}

export interface PendingMedia {
  id: number;
  topic: string;
  key: string;
  meta: Buffer;
  media: Buffer;
  traceparent: string | null;
}

/**
 * Publishes pending media messages in id order, at least once, then deletes them (the bytes leave PostgreSQL as
 * soon as the broker has them). Rows are locked `skip locked`, so several API instances share the work; one
 * pass takes at most `batchSize` messages and, past the first, no more than `maxBytes` of media in memory. A
 * crash between publish and delete publishes again: the scanner is idempotent by event id. Returns how many
 * were sent.
 */
export async function relayMediaOutbox(
  pool: Pool,
  publish: (messages: PendingMedia[]) => Promise<void>,
  options: { batchSize?: number; maxBytes?: number; minAgeMs?: number } = {},
): Promise<number> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  return withTransaction(pool, async (c) => {
    // Lock first and read only the sizes (uncompressed media are not fetched for their length). Rows younger
    // than `minAgeMs` are still being published by the API instance that received them.
    const { rows: claimed } = await c.query<{ id: number; bytes: number }>(
      `/* api:claim-media */ select id, octet_length(media) as bytes from media_outbox
       where created_at <= now() - make_interval(secs => $2::double precision / 1000)
       order by id limit $1 for update skip locked`,
      [options.batchSize ?? 32, options.minAgeMs ?? 0],
    );
    const ids: number[] = [];
    let total = 0;
    for (const r of claimed) {
      if (ids.length > 0 && total + r.bytes > maxBytes) break;
      ids.push(r.id);
      total += r.bytes;
    }
    if (ids.length === 0) return 0;
    const { rows } = await c.query<PendingMedia>(
      `/* api:read-media */ select id, topic, key, meta, media, traceparent from media_outbox where id = any($1) order by id`,
      [ids],
    );
    await publish(rows);
    await c.query(`/* api:delete-published-media */ delete from media_outbox where id = any($1)`, [ids]);
    return rows.length;
  });
}

/** Deletes media messages the broker has (the API's immediate publish after commit). */
export async function deletePublishedMedia(db: Queryable, ids: readonly number[]): Promise<void> {
  await db.query(`/* api:delete-published-media */ delete from media_outbox where id = any($1)`, [ids]);
}

/** Media messages waiting for the relay (readiness and back-pressure). */
export async function countPendingMedia(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `/* api:count-pending-media */ select count(*)::int as n from media_outbox`,
  );
  return rows[0]?.n ?? 0;
}

/** What a consumer needs to know about the tenant an event claims. */
export interface TenantStanding {
  kind: TenantKind;
  disabled: boolean;
}

export async function tenantStanding(db: Queryable, tenantId: string): Promise<TenantStanding | null> {
  const { rows } = await db.query<{ kind: TenantKind; disabled: boolean }>(
    `/* worker:tenant-standing */ select kind, disabled_at is not null as disabled from tenants where id = $1`,
    [tenantId],
  );
  return rows[0] ?? null;
}

/**
 * Tenant standings cached for `ttlMs` (workers look one up per event): a disabled tenant's events are refused
 * within `ttlMs` of the switch.
 */
export function createTenantDirectory(db: Queryable, ttlMs = 5_000, now: () => number = Date.now) {
  const cache = new Map<string, { at: number; standing: TenantStanding | null }>();
  return {
    async get(tenantId: string): Promise<TenantStanding | null> {
      const hit = cache.get(tenantId);
      if (hit !== undefined && now() - hit.at < ttlMs) return hit.standing;
      const standing = await tenantStanding(db, tenantId);
      if (cache.size >= 10_000) cache.clear();
      cache.set(tenantId, { at: now(), standing });
      return standing;
    },
  };
}
export type TenantDirectory = ReturnType<typeof createTenantDirectory>;

/**
 * Creates the submission when it does not exist yet (media a platform published on Kafka, media or a URL-list hit
 * the fetcher found), and says who owns it. The caller refuses the event when the owner is another tenant: an
 * event can only create or update submissions of its own tenant. `null`: a concurrent insert not yet visible
 * (retry).
 */
export async function claimSubmission(
  db: Queryable,
  s: SubmissionInput,
): Promise<{ created: boolean; tenantId: string; sha256: string | null } | null> {
  const { rows } = await db.query<{ created: boolean; tenant_id: string; sha256: string | null }>(
    `/* worker:claim-submission */ with ins as (
       insert into submissions (id, tenant_id, source, external_ref, reported_category, url, sha256, bytes, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'received') on conflict (id) do nothing
       returning tenant_id, sha256)
     select true as created, tenant_id, sha256 from ins
     union all
     select false, tenant_id, sha256 from submissions where id = $1 and not exists (select 1 from ins)`,
    [
      s.id,
      s.tenantId,
      s.source,
      s.externalRef ?? null,
      s.reportedCategory ?? null,
      s.url ?? null,
      s.sha256 ?? null,
      s.bytes ?? null,
    ],
  );
  const r = rows[0];
  return r === undefined ? null : { created: r.created, tenantId: r.tenant_id, sha256: r.sha256 };
}

/** Why a worker refuses an event's tenant (each code dead-letters the event). */
export const TenantRefusal = {
  Unknown: 'MOD_ERR_TENANT_UNKNOWN',
  Disabled: 'MOD_ERR_TENANT_DISABLED',
  WrongKind: 'MOD_ERR_TENANT_KIND',
} as const;

/**
 * Whether an event of `tenantId` may be processed: the tenant exists, is not switched off, and is of a kind that
 * sends such events (platforms media, ISPs observed URLs). Null when it may; else the refusal.
 */
export async function refuseTenant(
  tenants: Pick<TenantDirectory, 'get'>,
  tenantId: string,
  kinds: readonly TenantKind[],
): Promise<{ code: string; message: string } | null> {
  const standing = await tenants.get(tenantId);
  if (standing === null) return { code: TenantRefusal.Unknown, message: `no tenant ${tenantId}` };
  if (standing.disabled) return { code: TenantRefusal.Disabled, message: `tenant ${tenantId} is disabled` };
  if (!kinds.includes(standing.kind))
    return {
      code: TenantRefusal.WrongKind,
      message: `tenant ${tenantId} is a ${standing.kind}, not ${kinds.join(' or ')}`,
    };
  return null;
}

/**
 * Who sends media how (the source of a media event). The fetcher fetches ISPs' observed URLs (and an admin's
 * samples), and the URLs citizens, the hotline and platforms report (routed for the public-reports or hotline
 * tenant, or the platform): it checked the tenant for the event's purpose before fetching, and only it and the API
 * write the internal media topic.
 */
export const MEDIA_SENDER_KINDS = {
  api: ['platform', 'admin'],
  kafka: ['platform'],
  fetcher: ['isp', 'admin', 'hotline', 'platform'],
} as const satisfies Record<'api' | 'kafka' | 'fetcher', readonly TenantKind[]>;

/**
 * Whether a media event may be processed: `refuseTenant` with the kinds its source carries. The scanner
 * dead-letters what this refuses, so no verdict ever comes for it (the classifier does not wait for one).
 */
export function refuseMediaSender(
  tenants: Pick<TenantDirectory, 'get'>,
  event: { tenantId: string; source: keyof typeof MEDIA_SENDER_KINDS },
): Promise<{ code: string; message: string } | null> {
  return refuseTenant(tenants, event.tenantId, MEDIA_SENDER_KINDS[event.source]);
}
