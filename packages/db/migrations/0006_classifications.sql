-- Classifier results, one per content SHA-256: the same content is never classified twice, and every review
-- decision can be explained from the stored scores, thresholds and model versions. No media is stored.
create table classifications (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  scores jsonb not null,
  apparent_minor jsonb not null,
  models jsonb not null,
  backend text not null,
  classified_at timestamptz not null default now()
);
