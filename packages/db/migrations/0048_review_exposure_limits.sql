-- The daily exposure limits in force on each day, recorded with the day's exposure counts. The limits are the
-- deployment's settings (REVIEW_DAILY_REVEAL_LIMIT, REVIEW_DAILY_PREVIEW_LIMIT), read by each API instance at start:
-- a supervisor reading a past day was shown today's limits against that day's counts, so a day counted under a limit
-- of 20 read as "reached" after the limit went down to 10, and as normal after it went up. Each count now records the
-- limits it was checked under for its day (0: no limit), the last one counted standing for the day when they
-- changed during it. Days counted before this migration have no row: their limits are unknown, never guessed.
create table review_exposure_limits (
  day date primary key,
  daily_reveal_limit integer not null check (daily_reveal_limit >= 0),
  daily_preview_limit integer not null check (daily_preview_limit >= 0),
  recorded_at timestamptz not null
);
