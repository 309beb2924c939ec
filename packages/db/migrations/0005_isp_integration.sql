-- ISP integration: URL-list entries (a URL-list bank is a bank whose entries live here), blocklist feed state
-- per ISP (current entries + serial, and the change history that answers "changes since serial N" across
-- restarts), and per-ISP feed settings (RPZ zone name, NXDOMAIN or walled garden).

create table url_list_entries (
  id bigserial primary key,
  bank_id uuid not null references banks (id),
  kind text not null check (kind in ('url', 'prefix', 'host', 'domain')),
  -- As given (scheme optional, IWF style), and the canonical key the index dedupes on.
  pattern text not null,
  canonical_key text not null,
  -- The whole host serves abuse: feeds may list the name (RPZ, domain list); otherwise URL-level only.
  dedicated_to_abuse boolean not null default false,
  -- Listed in the ISPs' blocklist feeds.
  block boolean not null default true,
  category text,
  provenance text,
  note text,
  added_at timestamptz not null default now(),
  removed_at timestamptz
);
create unique index url_list_entries_live on url_list_entries (bank_id, kind, canonical_key)
  where removed_at is null;
create index url_list_entries_bank on url_list_entries (bank_id, id) where removed_at is null;

create table isp_feed_settings (
  isp_tenant_id text primary key references tenants (id),
  zone_name text not null default 'rpz.mod.local',
  -- Empty: NXDOMAIN (`CNAME .`); else CNAME to this walled-garden host.
  walled_garden_host text,
  updated_at timestamptz not null default now()
);

create table feed_state (
  isp_tenant_id text primary key references tenants (id),
  serial bigint not null check (serial between 1 and 4294967295),
  -- BlocklistEntry[] as of `serial`.
  entries jsonb not null,
  updated_at timestamptz not null default now()
);

create table feed_changes (
  isp_tenant_id text not null references tenants (id),
  to_serial bigint not null,
  from_serial bigint not null,
  added jsonb not null,
  removed jsonb not null,
  created_at timestamptz not null default now(),
  primary key (isp_tenant_id, to_serial)
);
