import { PeopleError, PeopleErrorCode } from './errors.js';

/**
 * The lock-out rule. Failed sign-ins are counted per (login, client address) and per client address, never per
 * login alone: a login locked for everyone would let anyone lock a colleague out by failing on purpose. So a
 * guesser at one address is stopped after a few tries at one account and a few dozen at all accounts, and a
 * correct password and code from any other address is never refused because of that guesser. (Guessing from
 * many addresses at one account is what the second factor is for; such spread failures are audited.)
 */
export interface LockoutPolicy {
  /** Failures of one login from one address within the window, after which that pair is refused. Default 5. */
  maxPerLoginAndAddress: number;
  /** Failures from one address (any login) within the window, after which the address is refused. Default 30. */
  maxPerAddress: number;
  /** The window failures are counted over, ms. Default 15 minutes. */
  windowMs: number;
  /**
   * Wrong TOTP codes of one login from any address within the window, after which that login's codes are not
   * checked (`codeLockDecision`); the same limit applies, on their own count, to wrong current passwords at a
   * password change (only a holder of the person's session makes those). The store may count codes on two sides
   * (`SignInStore.beginCodeCheck`: the person's own addresses, elsewhere), so that a password holder guessing from
   * elsewhere cannot lock the person out where they sign in. Default 10
   * (`DEFAULT_MAX_CODE_FAILURES_PER_LOGIN`).
   */
  maxCodeFailuresPerLogin?: number;
}

/**
 * The default limit of wrong codes per login. Only a caller with the right password gets to a code, so counting
 * them per login lets no outsider lock anyone out; it stops the one who has the password from spreading a million
 * guesses over addresses (an IPv6 /48 is 65,536 /64s, each its own count) until one of the three right codes
 * passes. Ten per window makes a lucky guess a matter of years.
 */
export const DEFAULT_MAX_CODE_FAILURES_PER_LOGIN = 10;

export const DEFAULT_LOCKOUT_POLICY: Readonly<LockoutPolicy> = Object.freeze({
  maxPerLoginAndAddress: 5,
  maxPerAddress: 30,
  windowMs: 15 * 60_000,
  maxCodeFailuresPerLogin: DEFAULT_MAX_CODE_FAILURES_PER_LOGIN,
});

/** Failures inside the window: how many, and when the oldest of them happened (null: none). */
export interface FailureTally {
  count: number;
  oldestAtMs: number | null;
}

export type LockoutDecision =
  | { locked: false }
  | { locked: true; scope: 'login-and-address' | 'address'; retryAfterMs: number };

/** Refuses a policy whose limits are not positive integers or whose window is under a second. */
export function checkLockoutPolicy(p: LockoutPolicy): LockoutPolicy {
  const positive = (v: number) => Number.isInteger(v) && v >= 1;
  if (
    !positive(p.maxPerLoginAndAddress) ||
    !positive(p.maxPerAddress) ||
    !(p.windowMs >= 1000) ||
    (p.maxCodeFailuresPerLogin !== undefined && !positive(p.maxCodeFailuresPerLogin))
  )
    throw new PeopleError(
      PeopleErrorCode.Settings,
      'lock-out limits must be integers >= 1, the window >= 1 s',
    );
  return p;
}

/**
 * Whether a sign-in attempt is refused before its password is even checked (no argon2 spent on a guesser), and
 * for how long: until the oldest failure counted leaves the window. Attempts refused here are not failures (a
 * guesser cannot extend the lock by knocking).
 */
export function lockoutDecision(
  tally: { loginAndAddress: FailureTally; address: FailureTally },
  policy: LockoutPolicy,
  nowMs: number,
): LockoutDecision {
  const until = (t: FailureTally) => Math.max(1000, (t.oldestAtMs ?? nowMs) + policy.windowMs - nowMs);
  if (tally.address.count >= policy.maxPerAddress)
    return { locked: true, scope: 'address', retryAfterMs: until(tally.address) };
  if (tally.loginAndAddress.count >= policy.maxPerLoginAndAddress)
    return { locked: true, scope: 'login-and-address', retryAfterMs: until(tally.loginAndAddress) };
  return { locked: false };
}

/**
 * Whether a login's TOTP code is refused unchecked: `tally` counts its wrong codes (and codes being checked) from
 * every address in the window; at the policy's limit, until the oldest of them leaves the window.
 */
export function codeLockDecision(
  tally: FailureTally,
  policy: LockoutPolicy,
  nowMs: number,
): Extract<LockoutDecision, { locked: false }> | { locked: true; scope: 'login'; retryAfterMs: number } {
  const limit = policy.maxCodeFailuresPerLogin ?? DEFAULT_MAX_CODE_FAILURES_PER_LOGIN;
  if (tally.count < limit) return { locked: false };
  return {
    locked: true,
    scope: 'login',
    retryAfterMs: Math.max(1000, (tally.oldestAtMs ?? nowMs) + policy.windowMs - nowMs),
  };
}

/**
 * The address failures are counted under: an IPv4 address as it is; an IPv6 address by its /64 network (one
 * host commonly holds a whole /64, and would otherwise get a fresh count with every address); an IPv4-mapped
 * IPv6 address as its IPv4 address. Anything else as it is, lower-cased.
 */
export function clientAddressKey(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  const [head = '', tail] = a.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail takes two groups; only the first four groups matter here.
  const width = right.length + (right.at(-1)?.includes('.') === true ? 1 : 0);
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - width)).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? g.replace(/^0+(?=.)/, '') : g));
  return `${prefix.join(':')}::/64`;
}
