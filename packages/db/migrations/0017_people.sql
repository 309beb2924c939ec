-- Staff accounts for people (issue 21): authority officers, reviewers, curators and admins sign in with a password
-- (argon2id, a PHC string) and a TOTP code, and act under their own name; machines keep their API keys.
-- Secrets: passwords only as argon2id hashes; TOTP secrets only sealed (AES-256-GCM under MOD_PEOPLE_SECRET_KEY,
-- bound to the person id); session tokens only as SHA-256. A session's CSRF token is derived from its token
-- (HMAC), so nothing of it is stored. Client addresses (personal data) stay here, never in the audit log.

create table people (
  id uuid primary key,
  tenant_id text not null references tenants (id),
  login text not null unique check (login ~ '^[a-z0-9][a-z0-9._@-]{2,63}$'),
  display_name text not null check (length(display_name) between 1 and 200),
  -- Roles of people; isp and platform are machine roles (API keys, certificates). The role must also suit the
  -- tenant's kind (RolesByTenantKind), which the store checks.
  role text not null check (role in ('authority', 'reviewer', 'curator', 'admin')),
  password_hash text not null check (password_hash like '$argon2id$%'),
  -- An admin-issued one-time password: it must be replaced before anything else, and it stops working at
  -- password_expires_at.
  must_change_password boolean not null default true,
  password_expires_at timestamptz,
  password_changed_at timestamptz,
  totp_secret_sealed bytea,
  -- A secret shown to the person during enrolment, not yet confirmed with a code.
  totp_pending_sealed bytea,
  -- The last TOTP step accepted: a code of this step or an earlier one is a replay.
  totp_last_step bigint,
  totp_enrolled_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  created_by text,
  created_at timestamptz not null default now()
);
create index people_tenant on people (tenant_id, login);

create table person_sessions (
  id uuid primary key,
  token_sha256 bytea not null unique check (length(token_sha256) = 32),
  person_id uuid not null references people (id),
  -- password: may only set a new password; totp: may only enrol a second factor; full: the API.
  stage text not null check (stage in ('password', 'totp', 'full')),
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  -- The absolute end; the idle timeout is counted from last_seen_at.
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text,
  client_address text not null
);
create index person_sessions_person on person_sessions (person_id) where revoked_at is null;

-- Failed sign-ins, counted per (login, client address) and per client address (never per login alone: that would
-- let anyone lock a colleague out). Rows older than a day are pruned as failures arrive.
create table sign_in_failures (
  id bigserial primary key,
  login text not null,
  address_key text not null,
  reason text not null,
  at timestamptz not null
);
create index sign_in_failures_login_address on sign_in_failures (login, address_key, at);
create index sign_in_failures_address on sign_in_failures (address_key, at);
