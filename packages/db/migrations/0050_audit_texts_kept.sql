-- The audit text retention pass (`eraseExpiredAuditTexts`) looks for the oldest texts still kept, in seq order, at
-- the start of each pass: through the primary key it read past every text it had already erased (all of them, once
-- the log is older than its retention), so each pass read more rows than the last. A partial index on the kept
-- texts alone takes it straight to the first one still kept; erased rows leave the index and are never read again.
-- The held ones (a legal hold keeps them) stay in it, and are passed over by the pass's own condition.
create index audit_texts_kept on audit_texts (seq, field) where erased_at is null;
