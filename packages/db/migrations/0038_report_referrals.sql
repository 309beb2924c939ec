-- A citizen's report referred by the hotline (or an admin) to a named authority tenant (police, ministry), with a
-- reason: before, an authority could place a legal hold on a report by its id but read no report, so it could not
-- act on what citizens reported. The authority a report is referred to reads it (its status and content; never the
-- reporter's contact details, which stay the hotline's); another authority's referrals answer it 404. Referring
-- to the same authority again changes nothing while the referral stands; a withdrawal (with its reason) ends it,
-- and a later referral to the same authority is a new row. Every referral and withdrawal is audited. A referral
-- keeps nothing from the personal-data pass (only a legal hold does): the referral's own text is the referrer's.
create table report_referrals (
  id uuid primary key,
  report_id uuid not null references reports (id),
  authority_tenant_id text not null references tenants (id),
  reason text not null check (length(reason) between 1 and 2000),
  -- A person's id (a referral is a named person's act).
  referred_by text not null check (length(referred_by) between 1 and 200),
  referred_at timestamptz not null,
  withdrawn_by text check (length(withdrawn_by) between 1 and 200),
  withdrawn_reason text check (length(withdrawn_reason) between 1 and 2000),
  withdrawn_at timestamptz,
  constraint report_referrals_withdrawal_whole check (
    (withdrawn_at is null) = (withdrawn_by is null) and (withdrawn_at is null) = (withdrawn_reason is null))
);

-- One standing referral per report and authority (a second referral is the same one).
create unique index report_referrals_standing on report_referrals (report_id, authority_tenant_id)
  where withdrawn_at is null;
-- An authority's list: the reports referred to it, newest referral first.
create index report_referrals_authority on report_referrals (authority_tenant_id, referred_at desc, id)
  where withdrawn_at is null;
