-- An actioned order whose URL could not be checked (unreachable, timing out, refused) waits before it is tried
-- again, longer after each inconclusive try (`postponeVerification`): re-fetched first at every pass, a few hundred
-- such orders took every pass's batch, so no other order was ever verified, and each pass waited out their fetch
-- timeouts before escalations and webhook deliveries could run.
alter table orders add column verify_attempts integer not null default 0,
  add column verify_after timestamptz;
create index orders_to_verify on orders ((coalesce(verify_after, updated_at)), id)
  where status = 'actioned' and verify_url is not null;
