-- Person references (issue 21): the person columns of migration 0019 held the ids of staff accounts as text, with
-- nothing to stop an id of nobody (a typo, a key id, a deleted row) standing as who claimed, decided, proposed or
-- approved. They become uuids referencing people (whose id is a uuid), so the database refuses a person who does
-- not exist, and a person named by a case, a proposal or a counter can never be deleted (people are disabled,
-- never deleted: their name stays in the records). The API writes only person ids here (these routes are for
-- people only: `sessionOnly`), so existing rows convert; a row that does not makes the migration fail, whole.
--
-- Left as text, by design: cases.closed_by is the order-history label of who closed a case
-- (`role:tenant:who`, or a service), and people.created_by names an admin person, an admin API key or a modctl
-- operator (`modctl:alice`): neither is always a person.

alter table cases
  alter column claimed_by type uuid using claimed_by::uuid,
  alter column decided_by type uuid using decided_by::uuid,
  add constraint cases_claimed_by_person foreign key (claimed_by) references people (id),
  add constraint cases_decided_by_person foreign key (decided_by) references people (id);

alter table bank_proposals
  alter column proposed_by type uuid using proposed_by::uuid,
  alter column decided_by type uuid using decided_by::uuid,
  add constraint bank_proposals_proposed_by_person foreign key (proposed_by) references people (id),
  add constraint bank_proposals_decided_by_person foreign key (decided_by) references people (id);

alter table review_settings
  alter column person_id type uuid using person_id::uuid,
  add constraint review_settings_person foreign key (person_id) references people (id);

alter table review_exposure
  alter column person_id type uuid using person_id::uuid,
  add constraint review_exposure_person foreign key (person_id) references people (id);

-- A foreign key needs no index to check inserts; these keep a person's rows findable (and a future deletion's
-- check from scanning). review_settings and review_exposure lead with person_id in their primary keys already.
create index cases_claimed_by on cases (claimed_by) where claimed_by is not null;
create index cases_decided_by on cases (decided_by) where decided_by is not null;
create index bank_proposals_proposed_by on bank_proposals (proposed_by);
create index bank_proposals_decided_by on bank_proposals (decided_by) where decided_by is not null;
