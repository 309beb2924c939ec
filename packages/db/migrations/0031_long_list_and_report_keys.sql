-- The other two btree indexes on URLs as given (0029 keyed open orders' subjects and the feeds' URL lines on a
-- digest): a URL list's live entries and citizens' reports' open subjects. A canonical key is several times
-- longer than the URL it comes from when its characters are not ASCII (each percent-encoded), and an entry past
-- 2704 bytes was refused: one such line failed a whole list import, and a report of such a URL answered 500.
drop index url_list_entries_live;
create unique index url_list_entries_live on url_list_entries (bank_id, kind, text_key(canonical_key))
  where removed_at is null;

drop index report_subjects_open_url;
create unique index report_subjects_open_url on report_subjects (text_key(url_key)) where settled_at is null;
