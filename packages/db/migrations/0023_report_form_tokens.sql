-- The public report form's tokens already taken (issue 23): each token is good once across every API instance,
-- not once per instance. Only the token's random nonce is kept, until the token would have expired anyway; the
-- report router's pass deletes the expired ones.
create table report_form_tokens (
  nonce text primary key,
  expires_at timestamptz not null
);
create index report_form_tokens_expiry on report_form_tokens (expires_at);
