-- Intake without orphans: a submission and the media message that announces it commit together. The bytes wait
-- here only until the API's relay has published them (then the row is deleted), so a failed publish never
-- leaves a submission stuck in 'received', and an upload during a broker outage is published when it returns.
create table media_outbox (
  id bigserial primary key,
  submission_id uuid not null references submissions (id),
  topic text not null,
  key text not null,
  -- The `mod-meta` header (MediaEventMeta as UTF-8 JSON).
  meta bytea not null,
  media bytea not null,
  created_at timestamptz not null default now()
);
-- Media bytes are compressed images: TOAST compression would spend CPU for nothing.
alter table media_outbox alter column media set storage external;

-- A client's retry with the same idempotency key returns the same submission.
alter table submissions add column idempotency_key text;
create unique index submissions_idempotency on submissions (tenant_id, idempotency_key)
  where idempotency_key is not null;

-- Relays claim their own topics (the API curation and audit topics, the actioner the partners' order topics).
create index outbox_unpublished_topic on outbox (topic, id) where published_at is null;
