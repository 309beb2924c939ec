-- Erasable free text of audit records (a record's reason), kept beside the tamper-evident log.
--
-- audit_texts  one row per committed field of a record written since this migration: the text and the 32-byte
--              salt of the commitment the record carries in its hashed bytes (`commitments` in @mod/audit:
--              SHA-256("mod.audit.text.v1\0" || field || "\0" || salt || text)). Written in the transaction of
--              the append. Erasure (`eraseAuditText`) nulls text and salt and sets erased_at/erased_by, once,
--              in the transaction that appends its `audit.text_erased` record; the record still verifies, and
--              without the salt nothing is left to guess the text from. No other change is allowed.
create table audit_texts (
  seq bigint not null,
  field text not null check (field in ('reason')),
  text text,
  salt bytea check (octet_length(salt) = 32),
  erased_at timestamptz,
  erased_by text,
  primary key (seq, field),
  check ((erased_at is null) = (text is not null and salt is not null)),
  check ((erased_at is null) = (erased_by is null))
);

create function audit_texts_erase_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.erased_at is null and new.erased_at is not null and new.text is null
     and new.salt is null and new.seq = old.seq and new.field = old.field then
    return new;
  end if;
  raise exception 'audit_texts rows can only be erased, once' using errcode = 'insufficient_privilege';
end $$;

create trigger audit_texts_erase_only before update or delete on audit_texts
  for each row execute function audit_texts_erase_only();
create trigger audit_texts_no_truncate before truncate on audit_texts
  for each statement execute function audit_is_append_only();

-- The application role (where there is one) appends and erases; it never deletes.
do $$ begin if exists (select 1 from pg_roles where rolname = 'mod_app') then
  execute 'grant select, insert, update on audit_texts to mod_app; revoke delete, truncate on audit_texts from mod_app';
end if; end $$;
