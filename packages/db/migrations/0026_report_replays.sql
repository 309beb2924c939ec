-- A report filed over the API with an Idempotency-Key (the hotline's call centre, platforms): a client that retries
-- after a timeout gets the first answer again instead of filing the report twice. One row per tenant and key, for
-- a bounded window (`expires_at`; the actioner's report-router pass deletes expired rows). The first answer holds
-- the tracking code, shown once and otherwise kept only as a digest, so it is kept sealed (AES-256-GCM under
-- REPORT_CONTACT_KEY, bound to the report, the tenant and the key), never in plaintext; the digest of the request
-- it answered is sealed with it, so nothing of a reporter's contact details is readable here.
create table report_replays (
  tenant_id text not null references tenants (id),
  idempotency_key text not null check (idempotency_key ~ '^[A-Za-z0-9._:-]{1,200}$'),
  -- Taken (inserted) first in the filing transaction: a second request with the key waits on this row's unique
  -- key and then replays, so a concurrent double submit files one report. The report row follows in the same
  -- transaction, hence the deferred check.
  report_id uuid not null references reports (id) deferrable initially deferred,
  -- The answer and the request's digest, sealed; null only inside the filing transaction that took the key.
  sealed bytea,
  key_id text check (length(key_id) between 1 and 64),
  expires_at timestamptz not null,
  primary key (tenant_id, idempotency_key),
  check ((sealed is null) = (key_id is null))
);
create index report_replays_expiry on report_replays (expires_at);
