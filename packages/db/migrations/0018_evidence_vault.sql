-- The evidence vault (issue 21): media that needs a person, kept sealed so a reviewer can look at it after the
-- media topics' retention. Each row holds the bytes encrypted under a per-item data key (AES-256-GCM) and that
-- key wrapped under a master key that lives only in the services' environment (@mod/vault). Retention destroys
-- the bytes and the wrapped key and keeps the metadata, so a view of a destroyed item answers 410 Gone.
create table evidence_items (
  -- Derived from (tenant_id, submission_id): a redelivered message finds the row its first delivery wrote.
  id uuid primary key,
  tenant_id text not null references tenants (id),
  submission_id uuid not null references submissions (id),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  media_type text not null check (length(media_type) between 3 and 100),
  size_bytes integer not null check (size_bytes > 0),
  -- What made it need a person.
  reason text not null check (reason in ('classifier', 'review-bank', 'report')),
  -- The sealed item (@mod/vault SealedEvidence); all null once destroyed.
  ciphertext bytea,
  data_nonce bytea,
  data_tag bytea,
  wrapped_key bytea,
  key_nonce bytea,
  key_tag bytea,
  -- Which master key wrapped the data key (an id derived from the key, never the key).
  master_key_id text not null check (length(master_key_id) between 1 and 64),
  seal_version smallint not null,
  created_at timestamptz not null,
  -- The case it is evidence for, and when that case closed (the retention clock starts there).
  case_id uuid references cases (id),
  linked_at timestamptz,
  case_closed_at timestamptz,
  -- An authority's legal hold: while set, retention never destroys the item.
  hold_by text,
  hold_authority_tenant_id text references tenants (id),
  hold_reason text check (length(hold_reason) between 1 and 2000),
  hold_at timestamptz,
  destroyed_at timestamptz,
  constraint evidence_items_one_per_submission unique (tenant_id, submission_id),
  constraint evidence_items_sealed_until_destroyed check (
    (destroyed_at is null) = (ciphertext is not null)
    and (destroyed_at is null) = (wrapped_key is not null)
    and (destroyed_at is null) = (data_nonce is not null and data_tag is not null
      and key_nonce is not null and key_tag is not null)),
  constraint evidence_items_hold_whole check (
    (hold_at is null) = (hold_by is null)
    and (hold_at is null) = (hold_authority_tenant_id is null)
    and (hold_at is null) = (hold_reason is null)),
  constraint evidence_items_held_not_destroyed check (hold_at is null or destroyed_at is null),
  constraint evidence_items_closed_after_linked check (case_closed_at is null or case_id is not null)
);

-- The retention sweep's two rules, each over the rows it may destroy only.
create index evidence_items_closed_due on evidence_items (case_closed_at)
  where destroyed_at is null and hold_at is null and case_closed_at is not null;
create index evidence_items_unlinked_due on evidence_items (created_at)
  where destroyed_at is null and hold_at is null and case_id is null;
create index evidence_items_submission on evidence_items (submission_id);
create index evidence_items_case on evidence_items (case_id) where case_id is not null;
create index evidence_items_hold_authority on evidence_items (hold_authority_tenant_id)
  where hold_authority_tenant_id is not null;

-- Ciphertext does not compress: store it out of line without trying.
alter table evidence_items alter column ciphertext set storage external;

-- Evidence follows its case, whoever opens or decides it (the actioner, a reviewer, an authority, an escalation):
-- a case opened for a submission names the submission's evidence (its retention waits for that case), and the
-- case's closing starts the retention clock (reopening stops it). Kept in the database so that no code path
-- that opens or closes a case can forget the evidence.
create function evidence_follow_case() returns trigger language plpgsql as $$
begin
  if new.submission_id is null then
    return new;
  end if;
  if tg_op = 'INSERT' then
    update evidence_items set case_id = new.id, linked_at = new.created_at,
      case_closed_at = case when new.status = 'closed' then coalesce(new.closed_at, now()) end
    where submission_id = new.submission_id and destroyed_at is null;
  elsif new.status = 'closed' then
    update evidence_items set case_closed_at = coalesce(new.closed_at, now())
    where case_id = new.id and case_closed_at is null and destroyed_at is null;
  else
    update evidence_items set case_closed_at = null where case_id = new.id and destroyed_at is null;
  end if;
  return new;
end
$$;
create trigger cases_evidence_follow after insert or update of status on cases
  for each row when (new.submission_id is not null) execute function evidence_follow_case();
