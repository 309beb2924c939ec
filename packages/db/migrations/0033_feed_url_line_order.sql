-- Full URL-list feeds are read page by page in byte order (each page a short statement, the next one only once
-- the ISP took the last, so a slow reader holds no connection). URL lines may be longer than a btree entry, so
-- they are ordered by their first 512 characters (byte order, as the column) and then in full: a page starts
-- where the last ended through this index instead of sorting every line again.
create index feed_entries_url_line_order on feed_entries (isp_tenant_id, left(url_line, 512))
  where url_line is not null;
