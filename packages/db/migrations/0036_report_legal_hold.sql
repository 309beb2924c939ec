-- A legal hold on a citizen's report itself (`POST /v1/reports/:id/legal-hold`), where only a hold on evidence (an
-- item of the report's case, submission or page images) kept its personal data from the retention pass: an
-- authority investigating a report, or an admin for a prosecution, could not keep its description, where-seen,
-- URLs and contact details past their period. As for evidence: placed by an authority (kept for its tenant, which
-- alone, or an admin, releases it) or an admin, with a reason; every change is audited. While set, the actioner's
-- personal-data pass erases nothing of the report (`REPORT_HELD`); after release the next pass erases what is due.
alter table reports
  add column hold_by text check (length(hold_by) between 1 and 200),
  add column hold_authority_tenant_id text references tenants (id),
  add column hold_reason text check (length(hold_reason) between 1 and 2000),
  add column hold_at timestamptz,
  add constraint reports_hold_whole check (
    (hold_at is null) = (hold_by is null)
    and (hold_at is null) = (hold_authority_tenant_id is null)
    and (hold_at is null) = (hold_reason is null));

-- The retention pass asks, for each due row, whether a report naming it is held: the held ones are few.
create index reports_held on reports (id) where hold_at is not null;
