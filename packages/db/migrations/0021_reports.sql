-- Citizens' reports (issue 23): a report names one or more URLs; each distinct URL is a subject routed through
-- the pipeline (fetcher, scanner, banks, URL lists, classifier) and, when nothing settles it, a review case.
-- Reports of one URL fold into the same open subject, and so into one case; every report's status follows its
-- subjects. Reporters are never identified by the tracking code (only its SHA-256 is kept), and their contact
-- details are sealed (AES-256-GCM) and deleted after the retention period.

-- The call centre of the child-protection hotline (111) files reports taken by phone with its own role.
alter table api_keys drop constraint api_keys_role_check;
alter table api_keys add constraint api_keys_role_check
  check (role in ('isp', 'platform', 'authority', 'reviewer', 'curator', 'admin', 'hotline'));
alter table client_certificates drop constraint client_certificates_role_check;
alter table client_certificates add constraint client_certificates_role_check
  check (role in ('isp', 'platform', 'authority', 'reviewer', 'curator', 'admin', 'hotline'));
alter table people drop constraint people_role_check;
alter table people add constraint people_role_check check (role in ('authority', 'reviewer', 'curator', 'admin', 'hotline'));

-- Web reports belong to the tenant 'public-reports' (kind hotline; their submissions and cases too): the public has
-- no tenant of its own. It is made with the first web report (`fileReport`), so a new deployment lists no tenant
-- it did not create.

create table reports (
  id uuid primary key,
  -- SHA-256 of the tracking code the reporter was shown (hex); the code itself is never stored.
  tracking_sha256 text not null unique check (tracking_sha256 ~ '^[0-9a-f]{64}$'),
  channel text not null check (channel in ('web', 'hotline', 'platform')),
  -- Who filed it: the public-reports tenant for the web form, else the hotline's or platform's tenant.
  tenant_id text not null references tenants (id),
  -- The credential or person that filed it (null for the web form).
  filed_by text check (length(filed_by) <= 200),
  category text not null check (category in ('csam', 'grooming', 'sextortion', 'self-generated', 'other')),
  seen_where text check (length(seen_where) <= 500),
  description text check (length(description) <= 4000),
  language text not null check (language in ('vi', 'en')),
  -- received → assessing → actioned | no-action (all subjects settled); derived from the subjects, kept here
  -- for the statistics and the status page.
  status text not null default 'received' check (status in ('received', 'assessing', 'actioned', 'no-action')),
  outcome_reason text check (length(outcome_reason) <= 8000),
  -- The named person responsible for the report now (a hotline operator or reviewer who took it), if any.
  owner_person_id uuid references people (id),
  received_at timestamptz not null,
  due_at timestamptz not null,
  outcome_at timestamptz,
  constraint reports_outcome_whole check ((status in ('actioned', 'no-action')) = (outcome_at is not null))
);
create index reports_received on reports (received_at, id);
create index reports_open on reports (due_at) where outcome_at is null;

-- One URL under assessment. An open subject is shared by every report of its URL (`url_key`: the normaliser's
-- key); once settled, a new report of the URL opens a new subject (the content may have changed).
create table report_subjects (
  id uuid primary key,
  url text not null check (length(url) <= 8192),
  url_key text not null check (length(url_key) <= 8192),
  -- The tenant its submission and case belong to (the first report's).
  tenant_id text not null references tenants (id),
  -- The observed-URL event it was routed with, and when (re-sent when nothing came of it in time).
  event_id uuid not null unique,
  routed_at timestamptz not null,
  route_attempts integer not null default 1 check (route_attempts >= 1),
  status text not null default 'routing' check (status in ('routing', 'case', 'actioned', 'no-action')),
  submission_id uuid,
  case_id uuid references cases (id),
  order_ids uuid[] not null default '{}',
  -- Who owns the current step: a person (case claim, decision) or the pipeline ('system:pipeline').
  owner text check (length(owner) <= 200),
  outcome_reason text check (length(outcome_reason) <= 8000),
  created_at timestamptz not null,
  settled_at timestamptz,
  constraint report_subjects_settled_whole check ((status in ('actioned', 'no-action')) = (settled_at is not null))
);
create unique index report_subjects_open_url on report_subjects (url_key) where settled_at is null;
create index report_subjects_routing on report_subjects (routed_at) where status = 'routing';
create index report_subjects_case on report_subjects (case_id) where status = 'case';

create table report_urls (
  report_id uuid not null references reports (id),
  position integer not null check (position between 0 and 19),
  subject_id uuid not null references report_subjects (id),
  primary key (report_id, position)
);
create index report_urls_subject on report_urls (subject_id);

-- What happened, step by step, and who was responsible for each step (a named person, a credential, or the
-- pipeline): the report's history as operators and auditors read it.
create table report_steps (
  id bigserial primary key,
  report_id uuid references reports (id),
  subject_id uuid references report_subjects (id),
  at timestamptz not null,
  step text not null check (step ~ '^[a-z-]{1,40}$'),
  owner text not null check (length(owner) <= 200),
  note text check (length(note) <= 8000),
  check (report_id is not null or subject_id is not null)
);
create index report_steps_report on report_steps (report_id, id);
create index report_steps_subject on report_steps (subject_id, id);

-- A reporter's contact details, sealed (AES-256-GCM under REPORT_CONTACT_KEY), with the consents they gave.
-- Deleted (the row) after REPORT_CONTACT_RETENTION_DAYS; reading them is audited.
create table report_contacts (
  report_id uuid primary key references reports (id),
  sealed bytea not null,
  key_id text not null check (length(key_id) between 1 and 64),
  -- { contact: true, followUp: bool } as the reporter or the hotline's caller gave them.
  consents jsonb not null,
  delete_after timestamptz not null
);
create index report_contacts_expiry on report_contacts (delete_after);
