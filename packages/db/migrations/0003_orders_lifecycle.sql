-- Order lifecycle: the clock (issue time from the injected clock, pause, escalation), re-notices, responses,
-- verification; legal bases as data; host → platform mapping; cases for authorities; signed webhook delivery
-- with per-attempt state.

alter table orders
  -- Time the order was issued by the issuer's clock (created_at is the database's own time).
  add column issued_at timestamptz,
  -- The issuing authority's tenant, for hand-issued orders; escalations go to it (or to the configured authority).
  add column issuer_tenant_id text,
  -- A URL to re-fetch when the target reports the takedown done (takedown orders of hosted content).
  add column verify_url text,
  add column renotice_interval_ms bigint not null default 86400000 check (renotice_interval_ms > 0),
  add column next_notice_at timestamptz,
  add column notices_sent integer not null default 0,
  -- While set, the clock stands still (awaiting clarification): no re-notices, no escalation.
  add column paused_at timestamptz,
  add column escalated_at timestamptz,
  add column confirmed_at timestamptz,
  add column confirmed_by text,
  add column delivered_at timestamptz,
  add column acknowledged_at timestamptz,
  add column actioned_at timestamptz,
  add column verified_at timestamptz,
  add column closed_at timestamptz,
  add column verification_failures integer not null default 0;
update orders set issued_at = created_at where issued_at is null;
alter table orders alter column issued_at set not null;
alter table orders alter column issued_at set default now();
alter table orders add constraint orders_status_known check (status in
  ('issued', 'delivered', 'acknowledged', 'actioned', 'verified', 'disputed', 'reopened', 'withdrawn'));
-- The scheduler's scans: open orders by next notice and by deadline; actioned orders awaiting verification.
create index orders_open_deadline on orders (deadline_at) where status not in ('verified', 'withdrawn');
create index orders_open_notice on orders (next_notice_at) where status not in ('verified', 'withdrawn');
create index orders_actioned on orders (actioned_at) where status = 'actioned';

-- Legal bases, their deadlines and re-notice intervals: data, not code. Defaults below; operators edit rows.
create table legal_bases (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9.-]{0,63}$'),
  citation text not null,
  authority text not null,
  deadline_minutes integer not null check (deadline_minutes > 0),
  renotice_minutes integer not null default 1440 check (renotice_minutes > 0),
  created_at timestamptz not null default now()
);
insert into legal_bases (id, citation, authority, deadline_minutes, renotice_minutes) values
  ('vn-decree-147-request', 'Decree 147/2024/ND-CP: removal within 24 hours of an authority request',
   'Ministry of Information and Communications', 1440, 1440),
  ('vn-decree-147-complaint', 'Decree 147/2024/ND-CP: removal within 48 hours of a well-founded complaint',
   'Ministry of Information and Communications', 2880, 1440),
  ('eu-tco', 'Regulation (EU) 2021/784 (TCO), Article 3(3): removal within one hour', 'Competent authority', 60, 60);

-- Which platform tenant hosts content under a host name (exact host or any subdomain of it).
create table platform_hosts (
  host text primary key check (host = lower(host) and host !~ '[/:@ ]'),
  platform_tenant_id text not null references tenants (id),
  created_at timestamptz not null default now()
);

-- Work for people: an authority confirms an automatic decision, a reviewer looks at a classifier signal.
create table cases (
  id uuid primary key,
  kind text not null check (kind in ('confirm', 'review')),
  status text not null default 'open' check (status in ('open', 'closed')),
  submission_id uuid,
  -- Orders this case is about (confirm cases); empty for review cases.
  order_ids uuid[] not null default '{}',
  reason text not null,
  evidence jsonb not null,
  policy_version text not null,
  created_at timestamptz not null,
  closed_at timestamptz,
  closed_by text
);
create unique index cases_submission_kind on cases (submission_id, kind) where submission_id is not null;
create index cases_open on cases (kind, created_at) where status = 'open';

-- Where a target wants its orders pushed, signed with its own secret (HMAC-SHA256 over timestamp + body).
-- The secret must be kept in the clear to sign; it is never returned after creation.
create table webhook_endpoints (
  tenant_id text primary key references tenants (id),
  url text not null check (url ~ '^https?://'),
  secret text not null check (length(secret) >= 32),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One message to one endpoint, retried with backoff; committed with the order change it announces.
create table webhook_deliveries (
  id uuid primary key,
  tenant_id text not null references tenants (id),
  order_id uuid not null references orders (id),
  event text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  delivered_at timestamptz,
  created_at timestamptz not null
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_order on webhook_deliveries (order_id, created_at);

create table webhook_attempts (
  delivery_id uuid not null references webhook_deliveries (id),
  attempt integer not null,
  at timestamptz not null,
  status_code integer,
  error text,
  duration_ms integer not null,
  primary key (delivery_id, attempt)
);
