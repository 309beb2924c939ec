import { randomUUID } from 'node:crypto';
import type { CaseToOpen } from '@mod/policy';
import type { Queryable } from './pool.js';

/** A legal basis an order cites: its deadline and re-notice interval are data (table `legal_bases`), not code. */
export interface LegalBasis {
  id: string;
  citation: string;
  authority: string;
  deadlineMinutes: number;
  renoticeMinutes: number;
}

export async function getLegalBasis(db: Queryable, id: string): Promise<LegalBasis | null> {
  const { rows } = await db.query<LegalBasis>(
    `/* orders:get-legal-basis */ select id, citation, authority, deadline_minutes as "deadlineMinutes",
       renotice_minutes as "renoticeMinutes" from legal_bases where id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export async function listLegalBases(db: Queryable): Promise<LegalBasis[]> {
  const { rows } = await db.query<LegalBasis>(
    `/* orders:list-legal-bases */ select id, citation, authority, deadline_minutes as "deadlineMinutes",
       renotice_minutes as "renoticeMinutes" from legal_bases order by id`,
  );
  return rows;
}

/** Adds or changes a legal basis (operators' configuration). */
export async function upsertLegalBasis(db: Queryable, b: LegalBasis): Promise<void> {
  await db.query(
    `/* orders:upsert-legal-basis */ insert into legal_bases (id, citation, authority, deadline_minutes, renotice_minutes)
     values ($1, $2, $3, $4, $5) on conflict (id) do update set citation = excluded.citation,
       authority = excluded.authority, deadline_minutes = excluded.deadline_minutes,
       renotice_minutes = excluded.renotice_minutes`,
    [b.id, b.citation, b.authority, b.deadlineMinutes, b.renoticeMinutes],
  );
}

/** Records that content under `host` (and its subdomains) is hosted by a platform tenant. */
export async function mapHostToPlatform(
  db: Queryable,
  host: string,
  platformTenantId: string,
): Promise<void> {
  await db.query(
    `/* orders:map-host */ insert into platform_hosts (host, platform_tenant_id) values ($1, $2)
     on conflict (host) do update set platform_tenant_id = excluded.platform_tenant_id`,
    [host.toLowerCase(), platformTenantId],
  );
}

/**
 * The platform hosting `host`: the mapping of the host itself or of its nearest parent domain
 * (`cdn.example.com` → `example.com`) whose platform is not switched off (a partner no longer: it is sent no
 * takedown, as `POST /v1/orders` refuses it as a target). Null when unknown.
 */
export async function platformForHost(db: Queryable, host: string): Promise<string | null> {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  const candidates = labels.map((_, i) => labels.slice(i).join('.')).filter((h) => h.length > 0);
  if (candidates.length === 0) return null;
  const { rows } = await db.query<{ platform_tenant_id: string }>(
    `/* actioner:platform-for-host */ select h.platform_tenant_id from platform_hosts h
       join tenants t on t.id = h.platform_tenant_id and t.disabled_at is null
     where h.host = any($1) order by length(h.host) desc limit 1`,
    [candidates],
  );
  return rows[0]?.platform_tenant_id ?? null;
}

/** SQL: order `o` awaits an authority's confirmation (policy issued it, nobody confirmed it, it is not over). */
const AWAITS_AUTHORITY = `o.issuer ->> 'kind' = 'policy' and o.confirmed_at is null
  and o.status not in ('verified', 'withdrawn')`;

/**
 * SQL of `openCase`'s conflict: the existing case `cases` is a confirmation case closed without a decision of its
 * own, and an order coming to it (`excluded.order_ids`) awaits an authority.
 */
const REOPENS = `cases.kind = 'confirm' and cases.status = 'closed' and cases.decision is null
  and exists (select 1 from orders o where o.id = any(excluded.order_ids) and ${AWAITS_AUTHORITY})`;

/**
 * Opens a case for people (an authority confirms an automatic decision; a reviewer looks at a classifier
 * signal). One per (submission, kind): a replay folds into the existing case. Returns its id and whether new.
 * The case belongs to its submission's tenant (`@mod/db/cases` scopes and filters queues by it).
 *
 * A confirmation case closed because none of its orders awaited an authority any more (no decision of its own) is
 * open again (`reopened`) when orders of its submission that await an authority come to it: another verdict on the
 * submission (a platform sending it again) issued them after the first ones were withdrawn or verified, and only
 * an open case puts them before an authority (and closes once they are settled).
 */
export async function openCase(
  db: Queryable,
  c: CaseToOpen,
): Promise<{ id: string; created: boolean; reopened: boolean }> {
  const row = await upsertCase(db, c, false);
  if (row === null) throw new Error('case insert returned no row');
  return row;
}

/**
 * `openCase`, except that a confirmation case none of whose orders awaits an authority (`anyAwaitsAuthority`) is
 * neither opened nor changed (null): it would never close. Asked in the same statement, one round trip.
 */
export async function openCaseIfAwaited(
  db: Queryable,
  c: CaseToOpen,
): Promise<{ id: string; created: boolean; reopened: boolean } | null> {
  return upsertCase(db, c, true);
}

async function upsertCase(
  db: Queryable,
  c: CaseToOpen,
  onlyAwaited: boolean,
): Promise<{ id: string; created: boolean; reopened: boolean } | null> {
  const id = randomUUID();
  const { rows } = await db.query<{ id: string; created: boolean; reopened: boolean }>(
    `/* actioner:open-case */ with before as (
       select status from cases where submission_id = $3 and kind = $2),
     upserted as (
       insert into cases (id, kind, submission_id, order_ids, reason, evidence, policy_version, created_at, tenant_id)
       select $1, $2, $3, $4, $5, $6, $7, $8, (select tenant_id from submissions where id = $3)
       where not $9::boolean or $2::text <> 'confirm'
         or exists (select 1 from orders o where o.id = any($4::uuid[]) and ${AWAITS_AUTHORITY})
       on conflict (submission_id, kind) where submission_id is not null
       do update set order_ids = (select array_agg(distinct x) from unnest(cases.order_ids || excluded.order_ids) x),
         status = case when ${REOPENS} then 'open' else cases.status end,
         closed_at = case when ${REOPENS} then null else cases.closed_at end,
         closed_by = case when ${REOPENS} then null else cases.closed_by end
       returning id, (xmax = 0) as created, status)
     select u.id, u.created, (not u.created and u.status = 'open' and b.status = 'closed') as reopened
     from upserted u left join before b on true`,
    [
      id,
      c.kind,
      c.submissionId,
      c.orderIds,
      c.reason,
      JSON.stringify(c.evidence),
      c.policyVersion,
      c.createdAt,
      onlyAwaited,
    ],
  );
  return rows[0] ?? null;
}

/**
 * Whether any of these orders awaits an authority's confirmation. A confirmation case naming none of them would
 * never close (only a command on one of its orders closes it, `closeSettledConfirmationCases`).
 */
export async function anyAwaitsAuthority(db: Queryable, orderIds: readonly string[]): Promise<boolean> {
  const { rows } = await db.query<{ awaits: boolean }>(
    `/* orders:any-awaits-authority */ select exists (select 1 from orders o
       where o.id = any($1::uuid[]) and ${AWAITS_AUTHORITY}) as awaits`,
    [orderIds],
  );
  return rows[0]?.awaits === true;
}

/** A confirmation case `closeSettledConfirmationCases` closed. */
export interface SettledConfirmationCase {
  id: string;
  submissionId: string | null;
  orderIds: string[];
}

/**
 * Closes the open confirmation cases (`kind = 'confirm'`) that name `orderId` once none of their orders awaits an
 * authority any more: each is confirmed, withdrawn or otherwise closed (verified), or was not policy's to confirm.
 * In the caller's transaction, right after the authority's command on `orderId` (`commandOrder`); the caller
 * audits each case returned. Closing a case starts its evidence's retention clock (trigger
 * `cases_evidence_follow`, migration 0018), so kept media does not outlive the confirmation by more than its
 * retention.
 *
 * The cases are locked before their orders are read, in a statement of its own: two authorities settling the last
 * two orders of one case at once are serialised on it, and the second reads the first's committed command (a
 * single statement would read a snapshot in which neither had, and leave the case open for ever).
 */
export async function closeSettledConfirmationCases(
  db: Queryable,
  a: { orderId: string; closedAt: Date; closedBy: string },
): Promise<SettledConfirmationCase[]> {
  const { rows: locked } = await db.query<{ id: string }>(
    `/* orders:lock-confirmation-cases */ select id from cases
     where kind = 'confirm' and status = 'open' and $1::uuid = any(order_ids) order by id for update`,
    [a.orderId],
  );
  if (locked.length === 0) return [];
  const { rows } = await db.query<{ id: string; submission_id: string | null; order_ids: string[] }>(
    `/* orders:close-settled-confirmations */ update cases c set status = 'closed', closed_at = $2, closed_by = $3
     where c.id = any($1::uuid[]) and c.status = 'open'
       and not exists (select 1 from orders o where o.id = any(c.order_ids) and ${AWAITS_AUTHORITY})
     returning c.id, c.submission_id, c.order_ids`,
    [locked.map((r) => r.id), a.closedAt, a.closedBy],
  );
  return rows
    .map((r) => ({ id: r.id, submissionId: r.submission_id, orderIds: r.order_ids }))
    .sort((x, y) => x.id.localeCompare(y.id));
}
