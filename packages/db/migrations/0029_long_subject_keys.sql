-- Order subjects and feeds' URL lines are URLs of up to 8192 characters, as every message and row that carries a
-- URL takes them, and a btree entry holds at most 2704 bytes: the index of open orders' subjects refused a longer
-- one (54000, and the actioner's whole verdict transaction with it, dead-lettered: no order at all), and so would
-- the feeds' URL-line index. Both key on a digest of the text instead (lookups name it: `text_key(x) = text_key($n)`).
create function text_key(value text) returns bytea
  language sql immutable strict parallel safe
  as $$ select sha256(convert_to(value, 'UTF8')) $$;

drop index orders_open_subject;
create unique index orders_open_subject on orders (kind, subject_type, text_key(subject_value), target_tenant_id)
  where status not in ('verified', 'withdrawn') and folded_into is null;

-- "Is this line listed at serial N" probes; full feeds sort their lines (byte order) as they stream.
drop index feed_entries_url_lines;
create index feed_entries_url_lines on feed_entries (isp_tenant_id, text_key(url_line)) where url_line is not null;
