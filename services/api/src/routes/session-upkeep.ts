import type { FastifyBaseLogger } from 'fastify';
import type { Pool } from '@mod/db';
import { pruneEndedSessions } from '@mod/db/people';
import { hashPassword, needsRehash, OWASP_ARGON2ID, type SignInAccount } from '@mod/people';
import type { PeopleSettings } from '../session-auth.js';

// Upkeep a successful sign-in does on the side: pruning ended sessions, renewing a password hash made with older
// argon2 parameters.

/** How long an ended session's row stays, so its cookie is answered with why it ended; then it is pruned. */
export const ENDED_SESSIONS_KEPT_MS = 24 * 3_600_000;
/**
 * Ended sessions one sign-in deletes at most. Rows are only added by sign-ins (one each, two for a first sign-in
 * whose enrolment replaces its token), so pruning this many at each keeps the table to the live sessions and a
 * day's ended ones without a timer; a backlog (an upgrade) goes within a few sign-ins.
 */
export const SESSIONS_PRUNED_PER_SIGN_IN = 200;

/**
 * After a sign-in committed: deletes a batch of sessions that ended more than `ENDED_SESSIONS_KEPT_MS` ago. Never
 * fails the sign-in: a failure is logged and the next sign-in tries again.
 */
export async function pruneAfterSignIn(
  db: Pool,
  o: { now: Date; settings: PeopleSettings; log: FastifyBaseLogger },
): Promise<void> {
  try {
    const pruned = await pruneEndedSessions(db, {
      now: o.now,
      idleMs: o.settings.idleTimeoutMs,
      keptMs: ENDED_SESSIONS_KEPT_MS,
      limit: SESSIONS_PRUNED_PER_SIGN_IN,
    });
    if (pruned > 0) o.log.debug({ pruned }, 'ended sessions pruned');
  } catch (err) {
    o.log.warn({ err }, 'ended sessions not pruned; the next sign-in tries again');
  }
}

/**
 * The stored hash and a new one of the same password, when the stored one was made with other argon2 parameters
 * than the API's (`needsRehash`); null when it is current. Only a sign-in can renew a hash: it is the one moment
 * the password is at hand, just verified.
 */
export async function renewedPasswordHash(
  account: Pick<SignInAccount, 'passwordHash'>,
  password: string,
  settings: PeopleSettings,
): Promise<{ from: string; to: string } | null> {
  const params = settings.passwordParams ?? OWASP_ARGON2ID;
  if (!needsRehash(account.passwordHash, params)) return null;
  return { from: account.passwordHash, to: await hashPassword(password, params) };
}
