-- Rate limits that hold across API instances (the public report form's per-address, proven and global limits, its
-- status look-ups). They were token buckets in each instance's memory: with N instances behind the load balancer a
-- client got N times each limit.
--
-- rate_buckets         one token bucket per (limiter, key), taken from in one statement (`takeRateToken`): the
--                      refill is computed from the stored time, so two instances taking at once are serialised by
--                      the row. `key` is a keyed digest (HMAC-SHA256) of what is counted, never a client's
--                      address as such. `full_at`: when the bucket is full again, and so no different from no bucket;
--                      rows past it are deleted (`pruneRateBuckets`). UNLOGGED: a crash empties the buckets (every
--                      client starts full, as after a restart of the instances before), and no WAL is written for
--                      what changes with every request.
-- report_form_charges  the public forms charged to the limits, by their token's nonce: the first instance to record
--                      a form charges it, in the same transaction; a post of the same form on any instance is a
--                      repeat. `repeats`: posts answered free. Kept until the form's token is refused as expired.
create unlogged table rate_buckets (
  limiter text not null,
  key bytea not null,
  tokens double precision not null,
  at timestamptz not null,
  allowed boolean not null,
  full_at timestamptz not null,
  primary key (limiter, key)
);
create index rate_buckets_full on rate_buckets (full_at);

create unlogged table report_form_charges (
  nonce text primary key,
  repeats integer not null default 0,
  expires_at timestamptz not null
);
create index report_form_charges_expiry on report_form_charges (expires_at);

