import { randomUUID } from 'node:crypto';
import { queryOne, type Queryable } from './pool.js';
import { roleAllowedForTenant, type Role, type TenantKind } from './tenants.js';

/**
 * Staff accounts (people), stored. Pure rules (passwords, TOTP, lock-out) are `@mod/people`; this file keeps the
 * rows: who a person is, the hash of their password, their sealed TOTP secret and whether they are disabled.
 * Sessions are sessions.ts, sign-in's store people-sign-in.ts.
 */

/** Roles a person may hold; `isp` and `platform` are roles of machines (keys, certificates). */
export const PersonRoles = [
  'authority',
  'reviewer',
  'curator',
  'admin',
  'hotline',
] as const satisfies readonly Role[];
export type PersonRole = (typeof PersonRoles)[number];

/** Whether a person of a tenant of `kind` may hold `role`: a person's role, and one the tenant's kind allows. */
export function personRoleAllowed(kind: TenantKind, role: Role): role is PersonRole {
  return (PersonRoles as readonly Role[]).includes(role) && roleAllowedForTenant(kind, role);
}

/** A person as administrators see them: never a password hash or a TOTP secret. */
export interface Person {
  id: string;
  tenantId: string;
  login: string;
  displayName: string;
  role: PersonRole;
  /** Signed in with a one-time password only: must choose a password before anything else. */
  mustChangePassword: boolean;
  /** When the one-time password stops working (null for a password the person chose). */
  passwordExpiresAt: string | null;
  totpEnrolled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  createdBy: string | null;
  createdAt: string;
}

interface PersonRow {
  id: string;
  tenant_id: string;
  login: string;
  display_name: string;
  role: PersonRole;
  must_change_password: boolean;
  password_expires_at: Date | null;
  totp_enrolled_at: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_by: string | null;
  created_at: Date;
}

const PERSON_COLUMNS = `id, tenant_id, login, display_name, role, must_change_password, password_expires_at,
  totp_enrolled_at, disabled_at, disabled_reason, created_by, created_at`;

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  tenantId: r.tenant_id,
  login: r.login,
  displayName: r.display_name,
  role: r.role,
  mustChangePassword: r.must_change_password,
  passwordExpiresAt: r.password_expires_at?.toISOString() ?? null,
  totpEnrolled: r.totp_enrolled_at !== null,
  disabledAt: r.disabled_at?.toISOString() ?? null,
  disabledReason: r.disabled_reason,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

export type CreatePersonOutcome =
  | { ok: true; person: Person }
  | { ok: false; reason: 'unknown-tenant' | 'role-not-allowed' | 'login-taken' };

/**
 * Creates a person with an admin-issued one-time password (`passwordHash`, argon2id): they must replace it at
 * their first sign-in, before `passwordExpiresAt`. The login is stored as given (normalise it first:
 * `normaliseLogin` in `@mod/people`). Refused for an unknown tenant, a role its kind does not allow, a taken login.
 */
export async function createPerson(
  db: Queryable,
  input: {
    tenantId: string;
    login: string;
    displayName: string;
    role: Role;
    passwordHash: string;
    passwordExpiresAt: Date;
    createdBy: string | null;
  },
): Promise<CreatePersonOutcome> {
  const tenant = await db.query<{ kind: TenantKind }>(
    `/* people:tenant-kind */ select kind from tenants where id = $1`,
    [input.tenantId],
  );
  const kind = tenant.rows[0]?.kind;
  if (kind === undefined) return { ok: false, reason: 'unknown-tenant' };
  if (!personRoleAllowed(kind, input.role)) return { ok: false, reason: 'role-not-allowed' };
  const { rows } = await db.query<PersonRow>(
    `/* people:create */ insert into people (id, tenant_id, login, display_name, role, password_hash,
       must_change_password, password_expires_at, created_by)
     values ($1, $2, $3, $4, $5, $6, true, $7, $8) on conflict (login) do nothing returning ${PERSON_COLUMNS}`,
    [
      randomUUID(),
      input.tenantId,
      input.login,
      input.displayName,
      input.role,
      input.passwordHash,
      input.passwordExpiresAt,
      input.createdBy,
    ],
  );
  return rows[0] ? { ok: true, person: toPerson(rows[0]) } : { ok: false, reason: 'login-taken' };
}

export async function getPerson(db: Queryable, id: string): Promise<Person | null> {
  return queryOne(db, `/* people:get */ select ${PERSON_COLUMNS} from people where id = $1`, [id], toPerson);
}

/** People in login order (of one tenant, or all), keyset-paginated: `after` is the last login of the previous page. */
export async function listPeople(
  db: Queryable,
  q: { tenantId?: string; limit: number; after?: string },
): Promise<Person[]> {
  const { rows } = await db.query<PersonRow>(
    `/* people:list */ select ${PERSON_COLUMNS} from people
     where ($1::text is null or tenant_id = $1) and ($2::text is null or login > $2) order by login limit $3`,
    [q.tenantId ?? null, q.after ?? null, q.limit],
  );
  return rows.map(toPerson);
}

/** What a person's own session reads to change their password or enrol TOTP (never leaves the API). */
export interface PersonSecrets {
  login: string;
  passwordHash: string;
  mustChangePassword: boolean;
  totpSecretSealed: Buffer | null;
  totpPendingSealed: Buffer | null;
}

export async function getPersonSecrets(db: Queryable, id: string): Promise<PersonSecrets | null> {
  const { rows } = await db.query<{
    login: string;
    password_hash: string;
    must_change_password: boolean;
    totp_secret_sealed: Buffer | null;
    totp_pending_sealed: Buffer | null;
  }>(
    `/* people:get-secrets */ select login, password_hash, must_change_password, totp_secret_sealed,
       totp_pending_sealed from people where id = $1`,
    [id],
  );
  const r = rows[0];
  return r
    ? {
        login: r.login,
        passwordHash: r.password_hash,
        mustChangePassword: r.must_change_password,
        totpSecretSealed: r.totp_secret_sealed,
        totpPendingSealed: r.totp_pending_sealed,
      }
    : null;
}

/** The person's own new password: no longer one-time, no expiry. */
export async function setPersonPassword(
  db: Queryable,
  id: string,
  passwordHash: string,
  now: Date,
): Promise<void> {
  await db.query(
    `/* people:set-password */ update people set password_hash = $2, must_change_password = false,
       password_expires_at = null, password_changed_at = $3 where id = $1`,
    [id, passwordHash, now],
  );
}

/**
 * Replaces a password hash made with older argon2 parameters by one of the same password made with the current
 * ones (at a sign-in, the only time the password is at hand). Compare-and-set on the old hash: a password change
 * or an admin's reset in between wins, and nothing else of the account changes. False when the hash had changed.
 */
export async function rehashPersonPassword(
  db: Queryable,
  id: string,
  hashes: { from: string; to: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* people:rehash-password */ update people set password_hash = $3 where id = $1 and password_hash = $2`,
    [id, hashes.from, hashes.to],
  );
  return rowCount === 1;
}

/**
 * The person's password hash, their row locked until the caller's transaction ends (null: no such person). A
 * sign-in starts its session only if the hash is still the one it verified: a reset or password change that ended
 * every session meanwhile has changed it, and one that comes later waits for the lock, then ends this session too.
 */
export async function lockPasswordHash(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query<{ password_hash: string }>(
    `/* people:lock-password-hash */ select password_hash from people where id = $1 for update`,
    [id],
  );
  return rows[0]?.password_hash ?? null;
}

/** Keeps a TOTP secret (sealed) shown to the person until they confirm it with a code. */
export async function setPendingTotp(db: Queryable, id: string, sealed: Buffer): Promise<void> {
  await db.query(`/* people:set-pending-totp */ update people set totp_pending_sealed = $2 where id = $1`, [
    id,
    sealed,
  ]);
}

/**
 * Makes the pending secret the person's TOTP secret, with `step` (the code that confirmed it) as the last
 * accepted step. With `sealed`, the secret is stored as `sealed.secret` (sealed anew for the person alone) and only
 * while `sealed.pending` is still the pending one. False when no secret (or another) was pending (another
 * enrolment finished first) or one is enrolled already: an enrolled second factor is replaced only after an
 * admin's reset, never by a code of a new secret.
 */
export async function confirmTotp(
  db: Queryable,
  id: string,
  step: number,
  now: Date,
  sealed?: { pending: Buffer; secret: Buffer },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* people:confirm-totp */ update people set totp_secret_sealed = coalesce($4, totp_pending_sealed),
       totp_pending_sealed = null, totp_last_step = $2, totp_enrolled_at = $3
     where id = $1 and totp_pending_sealed is not null and totp_secret_sealed is null
       and ($5::bytea is null or totp_pending_sealed = $5)`,
    [id, step, now, sealed?.secret ?? null, sealed?.pending ?? null],
  );
  return rowCount === 1;
}

/**
 * An admin's reset: a new one-time password (hash) valid until `expiresAt`, and no second factor (the person
 * enrols again). Sessions are revoked separately (`revokeSessionsOf`), in the same transaction. Null: no such person.
 */
export async function resetPersonPassword(
  db: Queryable,
  id: string,
  reset: { passwordHash: string; expiresAt: Date },
): Promise<Person | null> {
  return queryOne(
    db,
    `/* people:reset */ update people set password_hash = $2, must_change_password = true, password_expires_at = $3,
       totp_secret_sealed = null, totp_pending_sealed = null, totp_last_step = null, totp_enrolled_at = null
     where id = $1 returning ${PERSON_COLUMNS}`,
    [id, reset.passwordHash, reset.expiresAt],
    toPerson,
  );
}

/**
 * Disables a person (on leave, departed: `disabled` true, with a reason) or enables them again. Disabling keeps
 * the first time and reason; sessions are revoked separately, in the same transaction. Returns the person before
 * and after, or null for an unknown id.
 */
export async function setPersonDisabled(
  db: Queryable,
  id: string,
  change: { disabled: boolean; reason: string | null },
  now: Date,
): Promise<{ before: Person; after: Person } | null> {
  const before = await db.query<PersonRow>(
    `/* people:lock */ select ${PERSON_COLUMNS} from people where id = $1 for update`,
    [id],
  );
  const old = before.rows[0];
  if (!old) return null;
  const { rows } = await db.query<PersonRow>(
    `/* people:set-disabled */ update people set
       disabled_at = case when $2 then coalesce(disabled_at, $3) else null end,
       disabled_reason = case when $2 then coalesce(disabled_reason, $4) else null end
     where id = $1 returning ${PERSON_COLUMNS}`,
    [id, change.disabled, now, change.reason],
  );
  return { before: toPerson(old), after: toPerson(rows[0]!) };
}
