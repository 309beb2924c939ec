-- Review cases worked by people (issue 21): claims, decisions with a reason and the person who made them,
-- deadlines, escalations to an authority, two-person bank proposals, and each reviewer's preview settings and
-- daily exposure counter. Person ids are the opaque ids of staff accounts (never names or e-mail addresses).
-- Scores and model versions stay in the case's evidence (and its submission's classification).

-- An escalation is a case of its own, for an authority.
alter table cases drop constraint cases_kind_check;
alter table cases add constraint cases_kind_check check (kind in ('review', 'confirm', 'escalation'));

alter table cases
  -- The tenant whose content the case is about (its submission's); every case opened from now on has one.
  add column tenant_id text references tenants (id),
  -- A live claim: one person works the case until claim_expires_at; past it, anyone of the queue may claim.
  add column claimed_by text,
  add column claimed_at timestamptz,
  add column claim_expires_at timestamptz,
  add column decision text check (decision in ('confirm', 'dismiss', 'escalate')),
  -- IWF category a confirmation names.
  add column category text check (category in ('A', 'B', 'C')),
  add column decision_reason text check (length(decision_reason) between 1 and 8000),
  add column decided_by text,
  -- Review deadline. Null for review cases the actioner opened: their deadline is created_at plus the API's
  -- REVIEW_DEADLINE_HOURS (one setting, read where the queue and its metrics are served).
  add column due_at timestamptz,
  -- An escalation addressed to one authority tenant (null: any authority).
  add column assigned_tenant_id text references tenants (id),
  -- The case an escalation came from.
  add column escalated_from uuid references cases (id);

update cases c set tenant_id = s.tenant_id from submissions s where s.id = c.submission_id and c.tenant_id is null;

alter table cases add constraint cases_claim_whole check (
  (claimed_by is null) = (claimed_at is null) and (claimed_by is null) = (claim_expires_at is null));
-- A decision closes the case and names who made it and why; only a confirmation has a category.
alter table cases add constraint cases_decision_whole check (
  decision is null or (status = 'closed' and decided_by is not null and decision_reason is not null));
alter table cases add constraint cases_category_confirm check (
  (category is not null) = (decision is not null and decision = 'confirm'));
alter table cases add constraint cases_escalation_source check (kind = 'escalation' or escalated_from is null);

-- The queues: oldest first, keyset-paginated on (created_at, id), per kind.
create index cases_queue on cases (kind, created_at, id) where status = 'open';
create index cases_tenant on cases (tenant_id, created_at);

-- A reviewer's proposal to add a decided case's hashes to a bank (negative for a dismissal); a curator who is
-- another person approves or rejects it. The database refuses one person deciding their own proposal too.
create table bank_proposals (
  id uuid primary key,
  case_id uuid not null references cases (id),
  bank_id uuid not null references banks (id),
  tenant_id text references tenants (id),
  -- [{ signal, value, category }]: the content's hashes of the signals the bank takes.
  entries jsonb not null check (jsonb_typeof(entries) = 'array' and jsonb_array_length(entries) > 0),
  note text check (length(note) between 1 and 8000),
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  proposed_by text not null,
  proposed_at timestamptz not null,
  decided_by text,
  decided_at timestamptz,
  decision_reason text check (length(decision_reason) between 1 and 8000),
  -- Ids of the bank entries an approval added (or found live).
  entry_ids bigint[],
  constraint bank_proposals_two_people check (decided_by is null or decided_by <> proposed_by),
  constraint bank_proposals_decided_whole check ((status = 'pending') = (decided_by is null and decided_at is null))
);
create unique index bank_proposals_case_bank on bank_proposals (case_id, bank_id);
create index bank_proposals_queue on bank_proposals (status, proposed_at, id);

-- Each reviewer's preview: always greyscale and reduced; blurred unless they turned it off; its size.
create table review_settings (
  person_id text primary key,
  preview_blur boolean not null default true,
  preview_max_side integer not null default 256 check (preview_max_side between 64 and 512),
  updated_at timestamptz not null
);

-- Full-image reveals per person and day (the deployment's day: REVIEW_DAY_UTC_OFFSET_MINUTES).
create table review_exposure (
  person_id text not null,
  day date not null,
  reveals integer not null default 0 check (reveals >= 0),
  primary key (person_id, day)
);
