import {
  clientAddressKey,
  codeLockDecision,
  lockoutDecision,
  type FailureTally,
  type LockoutDecision,
  type LockoutPolicy,
} from './lockout.js';
import { normaliseLogin } from './names.js';
import { verifyPassword } from './password.js';
import { openSecret, type SecretKey } from './secret-box.js';
import { verifyTotp } from './totp.js';

/**
 * What a session may do. A first sign-in with a one-time password gets a `password` session (it may only set a
 * new password); then `totp` (it may only enrol a second factor); only a `full` session reaches the API.
 */
export const SessionStages = ['password', 'totp', 'full'] as const;
export type SessionStage = (typeof SessionStages)[number];

/** A person as sign-in needs it. */
export interface SignInAccount {
  personId: string;
  tenantId: string;
  login: string;
  passwordHash: string;
  /** The password is a one-time password an admin issued: it must be replaced before anything else. */
  mustChangePassword: boolean;
  /** When that one-time password stops working (ms since the epoch); null for a password the person chose. */
  passwordExpiresAtMs: number | null;
  /** The TOTP secret sealed under the people secret key for this person; null until enrolled. */
  totpSecretSealed: Uint8Array | null;
  /** The last TOTP step accepted (replays at or below it are refused); null before the first. */
  totpLastStep: number | null;
  /** The person is disabled (on leave, departed) or its tenant is switched off. */
  disabled: boolean;
}

/** Why a sign-in failed (recorded and audited; the caller is told only that it failed). */
export type SignInFailure =
  | 'unknown-login'
  | 'wrong-password'
  | 'password-expired'
  | 'code-missing'
  | 'wrong-code'
  | 'replayed-code'
  /** The right password, but the login's wrong codes reached their limit: the code was not checked. */
  | 'code-locked'
  /** Not a sign-in: a password change's current password was wrong (`underLockout`). */
  | 'current-password-wrong';

/** What sign-in reads and writes: small enough for an in-memory double (tests) and one for PostgreSQL. */
export interface SignInStore {
  findAccount(login: string): Promise<SignInAccount | null>;
  /**
   * Begins an attempt: records it at once as a failure still in flight, then counts the failures after `sinceMs`
   * (exclusive) other than it, in-flight attempts included: of this login from this address key, and from this
   * address key. Attempts racing each other thus see
   * each other: of any set of them, the last to count sees all the others, so no more pass the lock-out than it
   * allows (checking first and recording after the password would let every concurrent guess through).
   */
  beginAttempt(a: { login: string; addressKey: string; sinceMs: number; atMs: number }): Promise<{
    attemptId: string;
    loginAndAddress: FailureTally;
    address: FailureTally;
  }>;
  /**
   * Marks a begun attempt as checking a TOTP code of `login` (its password was right), then counts the login's wrong
   * codes and codes being checked after `sinceMs` (exclusive), from every address, other than it: as at
   * `beginAttempt`, of racing checks the last to count sees all the others. A store that knows the places the
   * person signed in from with both factors (as of `nowMs`) counts, for an attempt from one of them, only those
   * from them, and for any other only those from elsewhere: a password holder cannot lock the person out there.
   */
  beginCodeCheck(a: {
    attemptId: string;
    login: string;
    sinceMs: number;
    nowMs: number;
  }): Promise<FailureTally>;
  /** Settles a begun attempt: a failure for `reason`, or (null) nothing counted: its record goes. */
  endAttempt(attemptId: string, reason: SignInFailure | null): Promise<void>;
  /**
   * Records `step` as the person's last accepted TOTP step if it is above the one recorded, atomically (a
   * compare-and-set); false when another sign-in took this step or a later one first.
   */
  acceptTotpStep(personId: string, step: number): Promise<boolean>;
}

export interface SignInDeps {
  store: SignInStore;
  /** Opens the TOTP secrets (`MOD_PEOPLE_SECRET_KEY`). */
  secretKey: SecretKey;
  policy: LockoutPolicy;
  nowMs: number;
  /**
   * A hash of no one's password, verified when the login is unknown, so an unknown login takes as long as a
   * wrong password (the answer time does not tell which logins exist). Same parameters as real hashes.
   */
  decoyHash: string;
}

export type SignInOutcome =
  | { ok: true; account: SignInAccount; stage: SessionStage }
  | {
      ok: false;
      refusal: 'throttled';
      scope: 'login-and-address' | 'address';
      retryAfterMs: number;
    }
  | { ok: false; refusal: 'invalid'; reason: SignInFailure; account: SignInAccount | null }
  | { ok: false; refusal: 'disabled'; account: SignInAccount };

/**
 * Signs a person in with login, password and (once enrolled) a TOTP code, from a client address:
 * 1. refused at once while the (login, address) pair or the address is locked out (`lockoutDecision`), counting
 *    the attempts still in flight (`beginAttempt`: concurrent guesses cannot all slip under the limit);
 * 2. the password is verified (a decoy hash for an unknown login); an expired one-time password fails;
 * 3. a one-time password leads to a `password` session, a chosen password without a second factor to a `totp`
 *    session; otherwise, unless the login's wrong codes from every address reached their limit (then the code is
 *    not checked and the attempt fails as `code-locked`, answered as any failure: only the right password gets
 *    this far, so a distinct answer would confirm it), the code must match a step above the last accepted one,
 *    and that step is taken atomically (replays and races fail);
 * 4. a disabled person (or tenant) is refused only after both factors passed, so that refusal tells a guesser
 *    nothing; it is not counted as a failure.
 * Every other failure is recorded against the login and the address.
 */
export async function signIn(
  input: { login: string; password: string; code?: string; clientAddress: string },
  deps: SignInDeps,
): Promise<SignInOutcome> {
  const login = normaliseLogin(input.login);
  const addressKey = clientAddressKey(input.clientAddress);
  const attempt = await underLockout(
    deps.store,
    { login, addressKey, policy: deps.policy, nowMs: deps.nowMs },
    async (attemptId) => {
      const outcome = await checkAttempt(login, attemptId, input, deps);
      return {
        result: outcome,
        failure: outcome.ok || outcome.refusal !== 'invalid' ? null : outcome.reason,
      };
    },
  );
  if (attempt.locked)
    return { ok: false, refusal: 'throttled', scope: attempt.scope, retryAfterMs: attempt.retryAfterMs };
  return attempt.result;
}

/**
 * One attempt under the lock-out, whatever it checks (a sign-in, the current password of a password change): begun
 * (counted as a failure in flight) before anything is checked, refused while the login and address or the address
 * is locked out, else `check` runs and the attempt is settled as the failure it answers, or as nothing (null: a
 * success, or a refusal that is not the person's fault). A throw (a sealed secret that does not open, the database)
 * counts for nothing, and is the error answered: one from forgetting the attempt as well is dropped.
 */
export async function underLockout<T>(
  store: Pick<SignInStore, 'beginAttempt' | 'endAttempt'>,
  a: { login: string; addressKey: string; policy: LockoutPolicy; nowMs: number },
  check: (attemptId: string) => Promise<{ result: T; failure: SignInFailure | null }>,
): Promise<Extract<LockoutDecision, { locked: true }> | { locked: false; result: T }> {
  const { attemptId, ...tally } = await store.beginAttempt({
    login: a.login,
    addressKey: a.addressKey,
    sinceMs: a.nowMs - a.policy.windowMs,
    atMs: a.nowMs,
  });
  const lock = lockoutDecision(tally, a.policy, a.nowMs);
  if (lock.locked) {
    await store.endAttempt(attemptId, null);
    return lock;
  }
  let checked: { result: T; failure: SignInFailure | null };
  try {
    checked = await check(attemptId);
  } catch (err) {
    await store.endAttempt(attemptId, null).catch(() => undefined);
    throw err;
  }
  await store.endAttempt(attemptId, checked.failure);
  return { locked: false, result: checked.result };
}

/** Steps 2 to 4 of `signIn`, for an attempt it admitted. */
async function checkAttempt(
  login: string,
  attemptId: string,
  input: { password: string; code?: string },
  deps: SignInDeps,
): Promise<SignInOutcome> {
  const { store, nowMs } = deps;
  const fail = (reason: SignInFailure, account: SignInAccount | null): SignInOutcome => ({
    ok: false,
    refusal: 'invalid',
    reason,
    account,
  });
  const account = await store.findAccount(login);
  const passwordOk = await verifyPassword(input.password, account?.passwordHash ?? deps.decoyHash);
  if (account === null) return fail('unknown-login', null);
  if (!passwordOk) return fail('wrong-password', account);
  if (account.passwordExpiresAtMs !== null && account.passwordExpiresAtMs <= nowMs)
    return fail('password-expired', account);

  let stage: SessionStage = 'full';
  if (account.mustChangePassword) stage = 'password';
  else if (account.totpSecretSealed === null) stage = 'totp';
  else {
    if (input.code === undefined || input.code.trim() === '') return fail('code-missing', account);
    const codes = await store.beginCodeCheck({
      attemptId,
      login,
      sinceMs: nowMs - deps.policy.windowMs,
      nowMs,
    });
    // Unchecked while locked, and failed as a wrong password fails: only the right password reaches this lock, so
    // any other answer (a 429) would tell a guesser spreading passwords over addresses which one was right.
    if (codeLockDecision(codes, deps.policy, nowMs).locked) return fail('code-locked', account);
    const secret = openSecret(deps.secretKey, account.totpSecretSealed, account.personId);
    const check = verifyTotp({ secret, code: input.code, nowMs, lastAcceptedStep: account.totpLastStep });
    if (!check.ok) return fail(check.reason === 'replayed' ? 'replayed-code' : 'wrong-code', account);
    if (account.disabled) return { ok: false, refusal: 'disabled', account };
    if (!(await store.acceptTotpStep(account.personId, check.step))) return fail('replayed-code', account);
  }
  if (account.disabled) return { ok: false, refusal: 'disabled', account };
  return { ok: true, account, stage };
}
