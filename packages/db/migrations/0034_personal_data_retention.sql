-- Personal data in citizens' reports and observed URLs has a retention period (`erasePersonalData`, the actioner's
-- personal-data pass), where only reporters' contact details had one: a report's free text (description, where it
-- was seen) was kept for ever, and so was the URL of every submission (an ISP's traffic sample, a reported page).
-- The pass erases in bounded batches, one short transaction each, with one audit record per batch (kind, count,
-- period; never the text); nothing of a report still open or under a legal hold is erased. The programme's
-- figures (counts, outcomes, tracking digests, timestamps) stay.

-- When a report's description and where-seen were erased (null: still kept, or there was none).
alter table reports add column text_erased_at timestamptz;
create index reports_text_due on reports (outcome_at)
  where text_erased_at is null and outcome_at is not null and (description is not null or seen_where is not null);

-- When a submission's URL was erased.
alter table submissions add column url_erased_at timestamptz;
create index submissions_url_due on submissions (received_at) where url is not null;

-- Contact details wait for their report's outcome as well as for `delete_after`; the pass finds them by this.
create index report_contacts_due on report_contacts (delete_after, report_id);
drop index report_contacts_expiry;
