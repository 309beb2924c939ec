-- Spine: tenants and keys, banks, submissions and verdicts, orders with status history, outbox, audit log.
-- Media bytes are never stored: only digests, hashes and metadata.

create table tenants (
  id text primary key,
  kind text not null check (kind in ('isp', 'platform', 'authority', 'hotline', 'admin')),
  name text not null,
  -- ISPs that receive blocking requests for every automatic match.
  subscribed_to_blocking boolean not null default false,
  created_at timestamptz not null default now()
);

create table api_keys (
  id uuid primary key,
  tenant_id text not null references tenants (id),
  -- First characters of the key, for lookup; the key itself is stored only as a SHA-256 digest.
  prefix text not null unique,
  key_sha256 bytea not null,
  role text not null check (role in ('isp', 'platform', 'authority', 'reviewer', 'curator', 'admin')),
  label text,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

create table banks (
  id uuid primary key,
  name text not null unique,
  source text not null,
  licence text,
  version text,
  signal_types text[] not null,
  category_scheme text,
  enabled boolean not null default true,
  -- A negative bank holds known-benign content: a hit there suppresses other hits.
  negative boolean not null default false,
  pdq_threshold integer not null default 31 check (pdq_threshold between 0 and 256),
  blockhash_threshold integer not null default 10 check (blockhash_threshold between 0 and 256),
  action_policy text not null default 'review' check (action_policy in ('automatic', 'review')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table bank_entries (
  id bigserial primary key,
  bank_id uuid not null references banks (id),
  signal text not null check (signal in ('pdq', 'blockhash', 'md5', 'sha1', 'sha256')),
  value text not null check (value ~ '^[0-9a-f]+$'),
  quality integer check (quality between 0 and 100),
  category text,
  provenance text,
  note text,
  added_at timestamptz not null default now(),
  removed_at timestamptz
);
create unique index bank_entries_live on bank_entries (bank_id, signal, value) where removed_at is null;

create table submissions (
  id uuid primary key,
  tenant_id text not null,
  source text not null,
  external_ref text,
  reported_category text,
  url text,
  sha256 text,
  bytes integer,
  status text not null check (status in ('received', 'scanned', 'failed')),
  decision text,
  failure_code text,
  received_at timestamptz not null default now(),
  scanned_at timestamptz
);
create index submissions_tenant on submissions (tenant_id, received_at desc);

create table verdicts (
  event_id uuid primary key,
  submission_id uuid not null,
  tenant_id text not null,
  decision text not null,
  hashes jsonb not null,
  hits jsonb not null,
  scanned_at timestamptz not null,
  scanner_version text not null,
  recorded_at timestamptz not null default now()
);
create index verdicts_submission on verdicts (submission_id);

create table orders (
  id uuid primary key,
  kind text not null check (kind in ('takedown', 'blocking')),
  subject_type text not null check (subject_type in ('content-hash', 'url', 'host')),
  subject_value text not null,
  target_tenant_id text not null references tenants (id),
  status text not null,
  legal_basis text not null,
  issuer jsonb not null,
  deadline_at timestamptz not null,
  evidence jsonb not null,
  policy_version text not null,
  submission_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- One open order per (kind, subject, target): duplicates fold into it.
create unique index orders_open_subject on orders (kind, subject_type, subject_value, target_tenant_id)
  where status not in ('verified', 'withdrawn');
create index orders_target on orders (target_tenant_id, created_at desc);
create index orders_submission on orders (submission_id);

create table order_events (
  id bigserial primary key,
  order_id uuid not null references orders (id),
  status text not null,
  at timestamptz not null default now(),
  actor text not null,
  note text
);
create index order_events_order on order_events (order_id, id);

-- Transactional outbox: a message is committed with the state it announces; a relay publishes it.
create table outbox (
  id bigserial primary key,
  topic text not null,
  key text,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;

-- Append-only audit log. Each record carries the SHA-256 of its canonical form chained to the previous one.
create table audit_log (
  seq bigserial primary key,
  at timestamptz not null default now(),
  actor_kind text not null check (actor_kind in ('user', 'service', 'policy')),
  actor_id text not null,
  role text,
  tenant_id text,
  action text not null,
  subject_type text not null,
  subject_id text not null,
  reason text,
  evidence jsonb not null default '{}',
  versions jsonb not null default '{}',
  record_sha256 bytea not null,
  prev_sha256 bytea not null
);

create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only' using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_append_only before update or delete or truncate on audit_log
  for each statement execute function audit_log_is_append_only();
