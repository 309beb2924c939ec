-- Tree heads name their log (the audit trail's weakness "no log id in heads or bundles").
--
-- audit_log_identity  one row: this log's id, 16 random bytes as 32 lowercase hex characters, chosen once here.
--                     The signer puts it inside every head's signed bytes (mod.audit.tree-head.v2) and exports
--                     put it in the bundle under the scope signature, so a head of another deployment's log, or
--                     of a test log, signed with the same key, is refused as not this log's.
-- audit_tree_heads.log_id  the log id the head was signed with; null for the legacy heads signed before
--                     (mod.audit.tree-head.v1), which are still verified, as legacy.
create table audit_log_identity (
  one boolean primary key default true check (one),
  log_id text not null check (log_id ~ '^[0-9a-f]{32}$')
);
insert into audit_log_identity (one, log_id)
  values (true, substr(encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex'), 1, 32));

create trigger audit_log_identity_append_only before update or delete on audit_log_identity
  for each statement execute function audit_is_append_only();
create trigger audit_log_identity_no_truncate before truncate on audit_log_identity
  for each statement execute function audit_is_append_only();

alter table audit_tree_heads add column log_id text check (log_id ~ '^[0-9a-f]{32}$');

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'mod_app') then
    execute 'grant select on audit_log_identity to mod_app';
    execute 'revoke insert, update, delete, truncate on audit_log_identity from mod_app';
  end if;
end $$;
