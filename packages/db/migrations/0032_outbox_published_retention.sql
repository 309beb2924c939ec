-- Published outbox messages are deleted PUBLISHED_OUTBOX_KEEP_DAYS after publication (`relayOutbox`), where they were
-- kept for ever: every reported URL's observed-URL event and every order message sent to a partner stayed here long
-- after their topics dropped them. Each relay pass finds the oldest published ones through this index, not by
-- reading every row published since.
create index outbox_published on outbox (published_at) where published_at is not null;
