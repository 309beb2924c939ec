-- Blocklist feeds, one row per entry and serial range instead of one JSON document per ISP: an entry is live
-- from `added_serial` until `removed_serial` (null: still live). "Changes since serial N" is a range query over
-- the rows added or removed after N; a full feed is the live rows' lines, sorted by the database and streamed.
-- Each row keeps the lines the entry renders to (by @mod/urls, once, when the row is written).

create table feed_entries (
  isp_tenant_id text not null references tenants (id),
  -- `order:<id>` or `url-entry:<id>`, as in the feed's planning.
  entry_id text not null,
  target text not null,
  dedicated boolean not null,
  added_serial bigint not null,
  removed_serial bigint check (removed_serial > added_serial),
  -- The URL-list line (URL-level entries), the domain-list line (dedicated entries) and the host an RPZ may
  -- name (dedicated entries whose host is a DNS name); null where the entry is not in that feed.
  -- Byte order ("C"): what the renderer sorts by, and what the line indexes are built with.
  url_line text collate "C",
  host_line text collate "C",
  rpz_host text collate "C"
);
-- At most one live row per entry (removals by entry id use it).
create unique index feed_entries_live on feed_entries (isp_tenant_id, entry_id) where removed_serial is null;
-- Changes since N: rows added or removed after N.
create index feed_entries_changed on feed_entries
  (isp_tenant_id, greatest(added_serial, coalesce(removed_serial, 0)));
-- Full feeds in byte order, and "is this line listed at serial N" probes.
create index feed_entries_url_lines on feed_entries (isp_tenant_id, url_line) where url_line is not null;
create index feed_entries_host_lines on feed_entries (isp_tenant_id, host_line) where host_line is not null;
create index feed_entries_rpz_hosts on feed_entries (isp_tenant_id, rpz_host) where rpz_host is not null;

-- The feed's serial stays; the first refresh after this migration writes every entry again at the next serial
-- (render_version null means "not rendered by the current code"), and older serials get the full feed once.
alter table feed_state
  add column history_from bigint,
  add column render_version integer,
  -- What the feed's inputs looked like at the last refresh (URL-list entries and banks, the ISP's open blocking
  -- orders): equal inputs, nothing to diff.
  add column inputs text;
update feed_state set history_from = serial + 1;
alter table feed_state
  alter column history_from set not null,
  drop column entries;
drop table feed_changes;

-- URL-list entries change only by soft removal (a changed entry is a new row). Enforced here, so that per-bank
-- counts of added and removed entries, kept by statement triggers, move with every committed change: a feed
-- refresh compares them (with the banks' switches and the ISP's orders) instead of diffing a large list.
create function url_list_entries_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'url_list_entries rows are never deleted (soft-remove them)' using errcode = 'P0001';
  end if;
  if old.removed_at is not null or new.removed_at is null
     or (to_jsonb(new) - 'removed_at') is distinct from (to_jsonb(old) - 'removed_at') then
    raise exception 'url_list_entries rows only change by being removed once' using errcode = 'P0001';
  end if;
  return new;
end $$;
create trigger url_list_entries_immutable before update or delete on url_list_entries
  for each row execute function url_list_entries_immutable();

create table url_list_counts (
  bank_id uuid primary key references banks (id),
  added bigint not null default 0,
  removed bigint not null default 0
);
insert into url_list_counts (bank_id, added, removed)
  select bank_id, count(*), count(removed_at) from url_list_entries group by bank_id;

create function url_list_count_added() returns trigger language plpgsql as $$
begin
  insert into url_list_counts (bank_id, added) select bank_id, count(*) from changed_rows group by bank_id
    on conflict (bank_id) do update set added = url_list_counts.added + excluded.added;
  return null;
end $$;
create function url_list_count_removed() returns trigger language plpgsql as $$
begin
  -- Every update is a removal (see url_list_entries_immutable).
  insert into url_list_counts (bank_id, removed) select bank_id, count(*) from changed_rows group by bank_id
    on conflict (bank_id) do update set removed = url_list_counts.removed + excluded.removed;
  return null;
end $$;
create trigger url_list_entries_count_added after insert on url_list_entries
  referencing new table as changed_rows for each statement execute function url_list_count_added();
create trigger url_list_entries_count_removed after update on url_list_entries
  referencing new table as changed_rows for each statement execute function url_list_count_removed();
