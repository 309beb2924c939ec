import { randomUUID } from 'node:crypto';
import { clientAddressKey, type SessionStage } from '@mod/people';
import type { Principal } from './credentials.js';
import type { Queryable } from './pool.js';
import type { PersonRole } from './people.js';
import type { TenantKind } from './tenants.js';

/**
 * People's sessions. The token lives only in the person's cookie; a row keeps its SHA-256 (`tokenDigest` in
 * `@mod/people`), the person, the stage (`password`, `totp`, `full`), when it was last seen (idle timeout), when
 * it ends (absolute timeout), whether it was revoked and why, and the client address it began from.
 */

/** `last_seen_at` is written at most this often per session, so every request is not a write. */
const LAST_SEEN_RESOLUTION_MS = 15_000;

/** A live session and who it is. */
export interface ActiveSession {
  id: string;
  personId: string;
  stage: SessionStage;
  login: string;
  displayName: string;
  createdAt: string;
  expiresAt: string;
  /** When it ends if nothing uses it before (last seen + idle timeout), capped by `expiresAt`. */
  idleExpiresAt: string;
}

export type SessionFailure = 'unknown' | 'revoked' | 'expired' | 'idle' | 'disabled';

export type SessionCheck =
  | { ok: true; session: ActiveSession; principal: Principal }
  | { ok: false; reason: SessionFailure; personId: string | null };

/** Starts a session for a person; answers its id. */
export async function insertSession(
  db: Queryable,
  s: {
    tokenSha256: Buffer;
    personId: string;
    stage: SessionStage;
    clientAddress: string;
    now: Date;
    expiresAt: Date;
  },
): Promise<{ id: string }> {
  const id = randomUUID();
  await db.query(
    `/* people:insert-session */ insert into person_sessions (id, token_sha256, person_id, stage, created_at,
       last_seen_at, expires_at, client_address) values ($1, $2, $3, $4, $5, $5, $6, $7)`,
    [id, s.tokenSha256, s.personId, s.stage, s.now, s.expiresAt, s.clientAddress],
  );
  return { id };
}

interface SessionRow {
  id: string;
  person_id: string;
  stage: SessionStage;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  tenant_id: string;
  kind: TenantKind;
  role: PersonRole;
  login: string;
  display_name: string;
  person_disabled_at: Date | null;
  tenant_disabled_at: Date | null;
}

/**
 * The session whose token has this SHA-256, if it is live: not revoked, before its absolute end, used within
 * `idleMs`, its person and tenant enabled. Refreshes its last use (at most every 15 s), unless `touch` is false: a
 * request the browser made on its own (a page refreshing itself) is no sign of a person at the keyboard, and must
 * not keep an unattended session from going idle.
 */
export async function verifySession(
  db: Queryable,
  tokenSha256: Buffer,
  now: Date,
  idleMs: number,
  touch = true,
): Promise<SessionCheck> {
  const { rows } = await db.query<SessionRow>(
    `/* api:verify-session */ select s.id, s.person_id, s.stage, s.created_at, s.last_seen_at, s.expires_at,
       s.revoked_at, p.tenant_id, t.kind, p.role, p.login, p.display_name, p.disabled_at as person_disabled_at,
       t.disabled_at as tenant_disabled_at
     from person_sessions s join people p on p.id = s.person_id join tenants t on t.id = p.tenant_id
     where s.token_sha256 = $1`,
    [tokenSha256],
  );
  const r = rows[0];
  if (!r) return { ok: false, reason: 'unknown', personId: null };
  const nowMs = now.getTime();
  const fail = (reason: SessionFailure): SessionCheck => ({ ok: false, reason, personId: r.person_id });
  if (r.revoked_at !== null) return fail('revoked');
  if (r.expires_at.getTime() <= nowMs) return fail('expired');
  if (r.last_seen_at.getTime() + idleMs <= nowMs) return fail('idle');
  if (r.person_disabled_at !== null || r.tenant_disabled_at !== null) return fail('disabled');
  let lastSeenMs = r.last_seen_at.getTime();
  if (touch && nowMs - lastSeenMs >= LAST_SEEN_RESOLUTION_MS) {
    await db.query(`/* api:touch-session */ update person_sessions set last_seen_at = $2 where id = $1`, [
      r.id,
      now,
    ]);
    lastSeenMs = nowMs;
  }
  return {
    ok: true,
    session: {
      id: r.id,
      personId: r.person_id,
      stage: r.stage,
      login: r.login,
      displayName: r.display_name,
      createdAt: r.created_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      idleExpiresAt: new Date(Math.min(lastSeenMs + idleMs, r.expires_at.getTime())).toISOString(),
    },
    principal: {
      keyId: r.id,
      personId: r.person_id,
      tenantId: r.tenant_id,
      tenantKind: r.kind,
      role: r.role,
      credential: 'session',
    },
  };
}

/** Ends one session (sign-out, rotation); false when it had already ended. */
export async function revokeSession(db: Queryable, id: string, reason: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* people:revoke-session */ update person_sessions set revoked_at = $2, revoked_reason = $3
     where id = $1 and revoked_at is null`,
    [id, now, reason],
  );
  return rowCount === 1;
}

/** Ends every live session of a person (reset, disable, password change), but `except` one; answers how many. */
export async function revokeSessionsOf(
  db: Queryable,
  personId: string,
  reason: string,
  now: Date,
  except: string | null = null,
): Promise<number> {
  const { rowCount } = await db.query(
    `/* people:revoke-sessions */ update person_sessions set revoked_at = $2, revoked_reason = $3
     where person_id = $1 and revoked_at is null and ($4::uuid is null or id <> $4)`,
    [personId, now, reason, except],
  );
  return rowCount ?? 0;
}

/** How long an address a person began a full session at stays theirs (`knownAddressesOf`): 30 days. */
export const KNOWN_ADDRESS_MS = 30 * 24 * 3_600_000;
/** The addresses `knownAddressesOf` reads at most (the latest): a person rarely has more in a month. */
const KNOWN_ADDRESSES_READ = 200;

/**
 * The client addresses (as `clientAddressKey`s) at which the person of `login` began a full session in the
 * `KNOWN_ADDRESS_MS` before `now`: only the holder of both factors (or of such a session) begins one, so these are
 * the person's own places, where a guesser with only the password cannot lock their codes (`beginCodeCheck`).
 */
export async function knownAddressesOf(db: Queryable, login: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ client_address: string }>(
    `/* api:known-addresses */ select s.client_address from person_sessions s join people p on p.id = s.person_id
     where p.login = $1 and s.stage = 'full' and s.created_at > $2
     group by s.client_address order by max(s.created_at) desc limit $3`,
    [login, new Date(now.getTime() - KNOWN_ADDRESS_MS), KNOWN_ADDRESSES_READ],
  );
  return [...new Set(rows.map((r) => clientAddressKey(r.client_address)))];
}

/**
 * Deletes up to `limit` sessions that ended more than `keptMs` before `now`: signed out or revoked, past their
 * absolute end, or unused for `idleMs` (the idle timeout); answers how many went. Until then an ended session's row
 * says why its cookie no longer works (`revoked`, `expired`, `idle`); after it the cookie is just `unknown`. Rows
 * another pass holds are skipped (`skip locked`), so API instances pruning at once never wait on each other.
 */
export async function pruneEndedSessions(
  db: Queryable,
  o: { now: Date; idleMs: number; keptMs: number; limit: number },
): Promise<number> {
  const endedBefore = new Date(o.now.getTime() - o.keptMs);
  const unusedSince = new Date(o.now.getTime() - o.keptMs - o.idleMs);
  // The latest full session of a person at an address is kept `KNOWN_ADDRESS_MS` from its start: it is what makes
  // the address theirs for the code lock (`knownAddressesOf`). Ranked in one pass over the table (a window, not a
  // lookup per row: no index serves person and address).
  const { rowCount } = await db.query(
    `/* api:prune-sessions */ delete from person_sessions where id in (
       select id from person_sessions where id in (
         select r.id from (
           select id, stage, created_at, revoked_at, expires_at, last_seen_at, row_number() over (
             partition by person_id, client_address order by stage = 'full' desc, created_at desc, id desc) as nth
           from person_sessions) r
         where (r.revoked_at <= $1 or r.expires_at <= $1 or r.last_seen_at <= $2)
           and not (r.stage = 'full' and r.created_at > $4 and r.nth = 1))
       limit $3 for update skip locked)`,
    [endedBefore, unusedSince, o.limit, new Date(o.now.getTime() - KNOWN_ADDRESS_MS)],
  );
  return rowCount ?? 0;
}
