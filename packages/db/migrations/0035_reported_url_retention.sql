-- A reported URL (`report_subjects.url` and its key) has a retention period too (`erasePersonalData`, kind
-- `reported-url`): REPORT_URL_RETENTION_DAYS after the subject settled, once every report naming it has its outcome,
-- its case is closed and no legal hold keeps any of its reports; its copies in the subject's review case (the URL,
-- the order subject a bare URL's case names, the page's images' addresses) go with it. An open subject always keeps
-- its URL (reports fold into it by `url_key`); what the programme counts stays (status, outcome, orders, steps).
alter table report_subjects alter column url drop not null;
alter table report_subjects alter column url_key drop not null;
alter table report_subjects add column url_erased_at timestamptz;
alter table report_subjects add constraint report_subjects_url_erased_whole check (
  (url is null) = (url_erased_at is not null) and (url_key is null) = (url_erased_at is not null)
  and (url_erased_at is null or settled_at is not null));
create index report_subjects_url_due on report_subjects (settled_at) where url is not null and settled_at is not null;
