-- Audit log as an RFC 9162 Merkle tree (issue 8). Replaces the SHA-256 hash chain of 0001.
--
-- audit_records       one row per record: its canonical JSON text (the exact bytes hashed into the leaf)
-- audit_merkle_nodes  hash of every complete subtree (level 0 = leaf hashes), written once at append
-- audit_tree_size     one row: leaves appended so far; moves only forward, by compare-and-set
-- audit_evidence      evidence documents whose SHA-256 digests the records carry (the log holds digests only)
-- audit_refs          ids a record refers to (subject id, evidence ids and digests): case exports
-- audit_tree_heads    Ed25519-signed tree heads
-- audit_signing_keys  public keys that signed tree heads (bundles carry them; trust comes out of band)
-- Every table is append-only: UPDATE, DELETE and TRUNCATE are refused by triggers (the size row may only grow).

-- The chain table stays, frozen, for the records written before this migration (verifiable with the chain
-- algorithm of 0001); new records go to the Merkle log only.
alter table audit_log rename to audit_log_legacy;
create function audit_legacy_is_frozen() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log_legacy is frozen: audit records go to audit_records' using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_legacy_frozen before insert on audit_log_legacy
  for each statement execute function audit_legacy_is_frozen();

create function audit_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
end $$;

create table audit_records (
  seq bigint primary key check (seq >= 0),
  -- Canonical JSON of the @mod/audit record; its UTF-8 bytes are the Merkle leaf input.
  record text not null,
  -- Copied out of the record for time-range exports; the record text is authoritative.
  recorded_at timestamptz not null
);
create index audit_records_time on audit_records (recorded_at);

create table audit_merkle_nodes (
  level smallint not null check (level between 0 and 63),
  idx bigint not null check (idx >= 0),
  hash bytea not null check (length(hash) = 32),
  primary key (level, idx)
);

create table audit_tree_size (
  one boolean primary key default true check (one),
  size bigint not null check (size >= 0)
);
insert into audit_tree_size (one, size) values (true, 0);

create function audit_size_moves_forward() returns trigger language plpgsql as $$
begin
  if new.size < old.size or new.one is distinct from old.one then
    raise exception 'audit_tree_size only moves forward' using errcode = 'insufficient_privilege';
  end if;
  return new;
end $$;

create table audit_evidence (
  seq bigint not null,
  name text not null,
  -- Canonical JSON text; the record's evidence[name] is the lowercase hex SHA-256 of its UTF-8 bytes.
  document text not null,
  primary key (seq, name)
);

create table audit_refs (
  ref text not null,
  seq bigint not null,
  primary key (ref, seq)
);

create table audit_tree_heads (
  tree_size bigint not null check (tree_size >= 0),
  root_hash bytea not null check (length(root_hash) = 32),
  -- The signed timestamp (ISO-8601 UTC, milliseconds).
  signed_at timestamptz not null,
  key_id text not null,
  -- Base64 Ed25519 signature over the canonical tree-head bytes (see @mod/audit treeHeadSigningBytes).
  signature text not null,
  primary key (tree_size, key_id)
);

create table audit_signing_keys (
  key_id text primary key,
  -- Base64 SPKI DER of the Ed25519 public key.
  spki text not null,
  first_used_at timestamptz not null default now()
);

create trigger audit_records_append_only before update or delete on audit_records
  for each statement execute function audit_is_append_only();
create trigger audit_records_no_truncate before truncate on audit_records
  for each statement execute function audit_is_append_only();
create trigger audit_merkle_nodes_append_only before update or delete on audit_merkle_nodes
  for each statement execute function audit_is_append_only();
create trigger audit_merkle_nodes_no_truncate before truncate on audit_merkle_nodes
  for each statement execute function audit_is_append_only();
create trigger audit_tree_size_forward before update on audit_tree_size
  for each row execute function audit_size_moves_forward();
create trigger audit_tree_size_append_only before delete on audit_tree_size
  for each statement execute function audit_is_append_only();
create trigger audit_tree_size_no_truncate before truncate on audit_tree_size
  for each statement execute function audit_is_append_only();
create trigger audit_evidence_append_only before update or delete on audit_evidence
  for each statement execute function audit_is_append_only();
create trigger audit_evidence_no_truncate before truncate on audit_evidence
  for each statement execute function audit_is_append_only();
create trigger audit_refs_append_only before update or delete on audit_refs
  for each statement execute function audit_is_append_only();
create trigger audit_refs_no_truncate before truncate on audit_refs
  for each statement execute function audit_is_append_only();
create trigger audit_tree_heads_append_only before update or delete on audit_tree_heads
  for each statement execute function audit_is_append_only();
create trigger audit_tree_heads_no_truncate before truncate on audit_tree_heads
  for each statement execute function audit_is_append_only();
create trigger audit_signing_keys_append_only before update or delete on audit_signing_keys
  for each statement execute function audit_is_append_only();
create trigger audit_signing_keys_no_truncate before truncate on audit_signing_keys
  for each statement execute function audit_is_append_only();

-- Where the services connect as a separate application role (`mod_app`) and only migrations run as the
-- owner, the application role cannot UPDATE or DELETE audit rows even with the triggers disabled
-- (only the owner can disable triggers). The size row needs UPDATE: the trigger keeps it moving forward.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'mod_app') then
    execute 'grant select, insert on audit_records, audit_merkle_nodes, audit_evidence, audit_refs,
      audit_tree_heads, audit_signing_keys to mod_app';
    execute 'grant select, update on audit_tree_size to mod_app';
    execute 'revoke update, delete, truncate on audit_records, audit_merkle_nodes, audit_evidence, audit_refs,
      audit_tree_heads, audit_signing_keys from mod_app';
    execute 'revoke delete, truncate on audit_tree_size from mod_app';
  end if;
end $$;
