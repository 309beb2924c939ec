-- Access control: who created a key, which tenants are switched off, and client certificates (mTLS) for ISPs.
-- Keys stay stored only as SHA-256 digests with a lookup prefix (0001); certificates only as fingerprints.

alter table tenants add column disabled_at timestamptz;

alter table api_keys add column created_by text;
create index api_keys_tenant on api_keys (tenant_id, created_at desc);

-- A verified client certificate (its SHA-256 fingerprint over the DER bytes) maps to one tenant and role.
create table client_certificates (
  id uuid primary key,
  tenant_id text not null references tenants (id),
  fingerprint_sha256 text not null unique check (fingerprint_sha256 ~ '^[0-9a-f]{64}$'),
  role text not null check (role in ('isp', 'platform', 'authority', 'reviewer', 'curator', 'admin')),
  label text,
  created_by text,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);
create index client_certificates_tenant on client_certificates (tenant_id);
