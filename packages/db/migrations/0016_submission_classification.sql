-- Classification is its own stage: the verdict goes out first (matching never waits for a model), and the
-- classifier's later result is recorded against the submission once (a replayed result finds it set and is
-- dropped). The result itself (scores, model versions, risk) is what the policy judged; media is never stored.
alter table submissions add column classification jsonb;
alter table submissions add column classified_at timestamptz;
