import type { FailureTally, SignInAccount, SignInFailure, SignInStore } from '@mod/people';
import { queryOne, type Queryable } from './pool.js';
import { knownAddressesOf } from './sessions.js';

/** Failures older than this are deleted as new ones arrive: far beyond any lock-out window. */
const FAILURE_RETENTION_MS = 24 * 3600_000;
/**
 * Expired failures (of any login and address) one new failure deletes at most: more than the one row it adds, so
 * the table holds about a day of failures and a backlog drains, yet no failure's answer waits on a large delete.
 */
const FAILURES_PRUNED_PER_FAILURE = 10;

interface AccountRow {
  id: string;
  tenant_id: string;
  login: string;
  password_hash: string;
  must_change_password: boolean;
  password_expires_at: Date | null;
  totp_secret_sealed: Buffer | null;
  totp_last_step: number | null;
  person_disabled_at: Date | null;
  tenant_disabled_at: Date | null;
}

const toAccount = (r: AccountRow): SignInAccount => ({
  personId: r.id,
  tenantId: r.tenant_id,
  login: r.login,
  passwordHash: r.password_hash,
  mustChangePassword: r.must_change_password,
  passwordExpiresAtMs: r.password_expires_at?.getTime() ?? null,
  totpSecretSealed: r.totp_secret_sealed,
  totpLastStep: r.totp_last_step,
  disabled: r.person_disabled_at !== null || r.tenant_disabled_at !== null,
});

/**
 * The reason of an attempt still being checked (`beginAttempt`): it counts as a failure until settled, and stays
 * one if its process dies before it is (lock-out errs on the side of refusing).
 */
const IN_FLIGHT = 'in-flight';
/** The reason of an attempt whose password was right, its TOTP code being checked (`beginCodeCheck`). */
const CODE_IN_FLIGHT = 'code-in-flight';
/** The reason of a password change's attempt, its current password being checked (`beginCurrentPasswordCheck`). */
const CURRENT_PASSWORD_IN_FLIGHT = 'current-password-in-flight';

const tally = (count: number, oldest: Date | null): FailureTally => ({
  count,
  oldestAtMs: oldest?.getTime() ?? null,
});

/** Failures (and attempts in flight) since `sinceMs` at the login and address, and at the address, but `except`. */
async function countFailures(
  db: Queryable,
  login: string,
  addressKey: string,
  sinceMs: number,
  except: string,
): Promise<{ loginAndAddress: FailureTally; address: FailureTally }> {
  const { rows } = await db.query<{
    pair_count: number;
    pair_oldest: Date | null;
    address_count: number;
    address_oldest: Date | null;
  }>(
    `/* api:sign-in-failures */ select
       count(*) filter (where login = $1)::int as pair_count, min(at) filter (where login = $1) as pair_oldest,
       count(*)::int as address_count, min(at) as address_oldest
     from sign_in_failures where address_key = $2 and at > $3 and id <> $4::bigint`,
    [login, addressKey, new Date(sinceMs), except],
  );
  const r = rows[0]!;
  return {
    loginAndAddress: tally(r.pair_count, r.pair_oldest),
    address: tally(r.address_count, r.address_oldest),
  };
}

/**
 * Marks a begun attempt `as` a check in flight, then counts the login's failures `failed` and checks in flight of
 * that kind after `sinceMs` (exclusive), from every address, other than it (two statements, no transaction: as
 * `beginAttempt` inserts before it counts, of racing checks the last to count sees all the others). With `known`
 * (the person's own addresses), only those of the same side as the attempt count: from one of them, the ones from
 * them; from anywhere else, the ones from elsewhere.
 */
async function markAndCountLoginChecks(
  db: Queryable,
  a: {
    attemptId: string;
    login: string;
    sinceMs: number;
    as: string;
    failed: SignInFailure;
    known?: readonly string[];
  },
): Promise<FailureTally> {
  const { rows: marked } = await db.query<{ address_key: string }>(
    `/* api:sign-in-check-mark */ update sign_in_failures set reason = $2 where id = $1::bigint
     returning address_key`,
    [a.attemptId, a.as],
  );
  const known = a.known ?? null;
  const fromKnown = known !== null && known.includes(marked[0]?.address_key ?? '');
  const { rows } = await db.query<{ n: number; oldest: Date | null }>(
    `/* api:sign-in-login-checks */ select count(*)::int as n, min(at) as oldest from sign_in_failures
     where login = $1 and at > $2 and reason in ($3, $4) and id <> $5::bigint
       and ($6::text[] is null or (address_key = any($6::text[])) = $7)`,
    [a.login, new Date(a.sinceMs), a.failed, a.as, a.attemptId, known, fromKnown],
  );
  return tally(rows[0]!.n, rows[0]!.oldest);
}

/**
 * For a password change's attempt (`underLockout`'s, begun with the sign-in store): marks it as checking the
 * current password and counts the login's wrong current passwords and such checks in flight, from every address.
 * Only the holder of one of the person's sessions makes these, so a limit on them locks no outsider's victim out.
 */
export function beginCurrentPasswordCheck(
  db: Queryable,
  a: { attemptId: string; login: string; sinceMs: number },
): Promise<FailureTally> {
  return markAndCountLoginChecks(db, {
    ...a,
    as: CURRENT_PASSWORD_IN_FLIGHT,
    failed: 'current-password-wrong',
  });
}

/** `signIn`'s store (`@mod/people`) on PostgreSQL. */
export function createSignInStore(db: Queryable): SignInStore {
  return {
    async findAccount(login): Promise<SignInAccount | null> {
      return queryOne(
        db,
        `/* api:sign-in-account */ select p.id, p.tenant_id, p.login, p.password_hash, p.must_change_password,
           p.password_expires_at, p.totp_secret_sealed, p.totp_last_step, p.disabled_at as person_disabled_at,
           t.disabled_at as tenant_disabled_at
         from people p join tenants t on t.id = p.tenant_id where p.login = $1`,
        [login],
        toAccount,
      );
    },

    async beginAttempt({ login, addressKey, sinceMs, atMs }) {
      // Inserted and committed before counting (two statements, no transaction): whichever of two racing
      // attempts counts last sees the other's row.
      const { rows: made } = await db.query<{ id: string }>(
        `/* api:sign-in-attempt */ insert into sign_in_failures (login, address_key, reason, at)
         values ($1, $2, $3, $4) returning id::text`,
        [login, addressKey, IN_FLIGHT, new Date(atMs)],
      );
      const attemptId = made[0]!.id;
      return { attemptId, ...(await countFailures(db, login, addressKey, sinceMs, attemptId)) };
    },

    async beginCodeCheck({ attemptId, login, sinceMs, nowMs }) {
      // A guesser holding only the password cannot lock the person's codes at the places they sign in from: wrong
      // codes from those count there, and those from anywhere else elsewhere.
      return markAndCountLoginChecks(db, {
        attemptId,
        login,
        sinceMs,
        as: CODE_IN_FLIGHT,
        failed: 'wrong-code',
        known: await knownAddressesOf(db, login, new Date(nowMs)),
      });
    },

    async endAttempt(attemptId, reason) {
      if (reason === null) {
        await db.query(
          `/* api:sign-in-attempt-forget */ delete from sign_in_failures where id = $1::bigint`,
          [attemptId],
        );
        return;
      }
      const { rows } = await db.query<{ at: Date }>(
        `/* api:sign-in-attempt-failed */ update sign_in_failures set reason = $2 where id = $1::bigint
         returning at`,
        [attemptId, reason],
      );
      const r = rows[0];
      // Pruned by age, never only at this address: an outsider failing once from each of many addresses leaves
      // rows no failure of their address would ever prune. Rows another pass holds are skipped.
      if (r !== undefined)
        await db.query(
          `/* api:prune-sign-in-failures */ delete from sign_in_failures where id in (
             select id from sign_in_failures where at < $1 order by at limit $2 for update skip locked)`,
          [new Date(r.at.getTime() - FAILURE_RETENTION_MS), FAILURES_PRUNED_PER_FAILURE],
        );
    },

    async acceptTotpStep(personId, step) {
      const { rowCount } = await db.query(
        `/* api:accept-totp-step */ update people set totp_last_step = $2
         where id = $1 and (totp_last_step is null or totp_last_step < $2)`,
        [personId, step],
      );
      return rowCount === 1;
    },
  };
}
