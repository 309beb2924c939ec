import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { base32Encode } from './base32.js';
import type { FailureTally, LockoutPolicy } from './lockout.js';
import { hashPassword, type Argon2Params } from './password.js';
import { parseSecretKey, sealSecret } from './secret-box.js';
import { signIn, type SignInAccount, type SignInFailure, type SignInStore } from './sign-in.js';
import { totpCode, totpStep } from './totp.js';

const FAST: Argon2Params = { memoryKiB: 64, passes: 1, parallelism: 1 };
const key = parseSecretKey(randomBytes(32).toString('base64'));
const policy: LockoutPolicy = { maxPerLoginAndAddress: 3, maxPerAddress: 5, windowMs: 60_000 };
const secret = base32Encode(randomBytes(20));
const T0 = 1_700_000_000_000;

/** The store as a map and a list: what the PostgreSQL store does, without the database. */
function memoryStore(accounts: SignInAccount[]) {
  const failures: { login: string; addressKey: string; reason: SignInFailure; atMs: number }[] = [];
  const inFlight = new Map<
    string,
    { login: string; addressKey: string; atMs: number; checkingCode?: true }
  >();
  const tally = (rows: readonly { atMs: number }[]): FailureTally => ({
    count: rows.length,
    oldestAtMs: rows.length === 0 ? null : Math.min(...rows.map((f) => f.atMs)),
  });
  const store: SignInStore = {
    findAccount: async (login) => {
      const a = accounts.find((x) => x.login === login);
      return a === undefined ? null : { ...a };
    },
    // Counting and recording in one synchronous step: as atomic as the PostgreSQL store's insert-then-count.
    beginAttempt: async ({ login, addressKey, sinceMs, atMs }) => {
      const recent = [...failures, ...inFlight.values()].filter(
        (f) => f.atMs > sinceMs && f.addressKey === addressKey,
      );
      const attemptId = String(inFlight.size + failures.length + Math.random());
      inFlight.set(attemptId, { login, addressKey, atMs });
      return {
        attemptId,
        loginAndAddress: tally(recent.filter((f) => f.login === login)),
        address: tally(recent),
      };
    },
    beginCodeCheck: async ({ attemptId, login, sinceMs }) => {
      inFlight.get(attemptId)!.checkingCode = true;
      const codes = [
        ...failures.filter((f) => f.reason === 'wrong-code'),
        ...[...inFlight.entries()]
          .filter(([id, f]) => id !== attemptId && f.checkingCode === true)
          .map(([, f]) => f),
      ];
      return tally(codes.filter((f) => f.login === login && f.atMs > sinceMs));
    },
    endAttempt: async (attemptId, reason) => {
      const begun = inFlight.get(attemptId)!;
      inFlight.delete(attemptId);
      if (reason !== null)
        failures.push({ login: begun.login, addressKey: begun.addressKey, atMs: begun.atMs, reason });
    },
    acceptTotpStep: async (personId, step) => {
      const a = accounts.find((x) => x.personId === personId)!;
      if (a.totpLastStep !== null && step <= a.totpLastStep) return false;
      a.totpLastStep = step;
      return true;
    },
  };
  return { store, failures, inFlight };
}

let passwordHash: string;
let decoyHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword('a long pass phrase', FAST);
  decoyHash = await hashPassword(randomBytes(16).toString('hex'), FAST);
});

const account = (over: Partial<SignInAccount> = {}): SignInAccount => ({
  personId: 'p-1',
  tenantId: 'hotline',
  login: 'reviewer.an',
  passwordHash,
  mustChangePassword: false,
  passwordExpiresAtMs: null,
  totpSecretSealed: sealSecret(key, secret, over.personId ?? 'p-1'),
  totpLastStep: null,
  disabled: false,
  ...over,
});

function world(accounts: SignInAccount[] = [account()]) {
  const { store, failures, inFlight } = memoryStore(accounts);
  const attempt = (a: { login?: string; password?: string; code?: string; from?: string; atMs?: number }) =>
    signIn(
      {
        login: a.login ?? 'Reviewer.An',
        password: a.password ?? 'a long pass phrase',
        ...(a.code === undefined ? {} : { code: a.code }),
        clientAddress: a.from ?? '198.51.100.1',
      },
      { store, secretKey: key, policy, nowMs: a.atMs ?? T0, decoyHash },
    );
  return { attempt, failures, accounts, inFlight };
}
const codeAt = (ms: number) => totpCode(secret, totpStep(ms));

describe('sign-in', () => {
  it('signs in with password and TOTP code (login in any case) and takes the code step', async () => {
    const w = world();
    const out = await w.attempt({ code: codeAt(T0) });
    expect(out).toMatchObject({ ok: true, stage: 'full', account: { personId: 'p-1' } });
    expect(w.accounts[0]!.totpLastStep).toBe(totpStep(T0));
    expect(w.failures).toEqual([]);
  });

  it('refuses the same code twice (replay), and a code racing in after a later step', async () => {
    const w = world();
    expect((await w.attempt({ code: codeAt(T0) })).ok).toBe(true);
    expect(await w.attempt({ code: codeAt(T0), atMs: T0 + 5_000 })).toMatchObject({
      ok: false,
      refusal: 'invalid',
      reason: 'replayed-code',
    });
    // Another sign-in took the next step first: the store's compare-and-set refuses this one.
    const racing = world([account({ totpLastStep: totpStep(T0) - 5 })]);
    const late = totpStep(T0);
    racing.accounts[0]!.totpLastStep = late;
    expect(await racing.attempt({ code: codeAt(T0) })).toMatchObject({ ok: false, reason: 'replayed-code' });
  });

  it('refuses a wrong password, a wrong code and a missing code, each counted as a failure', async () => {
    const w = world();
    expect(await w.attempt({ password: 'not the pass phrase', code: codeAt(T0) })).toMatchObject({
      ok: false,
      reason: 'wrong-password',
    });
    const wrong = codeAt(T0) === '000000' ? '111111' : '000000';
    expect(await w.attempt({ code: wrong })).toMatchObject({ ok: false, reason: 'wrong-code' });
    expect(await w.attempt({})).toMatchObject({ ok: false, reason: 'code-missing' });
    expect(w.failures.map((f) => [f.login, f.addressKey, f.reason])).toEqual([
      ['reviewer.an', '198.51.100.1', 'wrong-password'],
      ['reviewer.an', '198.51.100.1', 'wrong-code'],
      ['reviewer.an', '198.51.100.1', 'code-missing'],
    ]);
  });

  it('an unknown login fails like a wrong password (and is counted)', async () => {
    const w = world();
    expect(await w.attempt({ login: 'nobody', code: codeAt(T0) })).toEqual({
      ok: false,
      refusal: 'invalid',
      reason: 'unknown-login',
      account: null,
    });
    expect(w.failures).toHaveLength(1);
  });

  it('a one-time password leads to a password-change session, a chosen password without TOTP to enrolment', async () => {
    const w = world([
      account({
        personId: 'p-1',
        login: 'first',
        mustChangePassword: true,
        totpSecretSealed: null,
        passwordExpiresAtMs: T0 + 1,
      }),
      account({ personId: 'p-2', login: 'second', totpSecretSealed: null }),
    ]);
    expect(await w.attempt({ login: 'first' })).toMatchObject({ ok: true, stage: 'password' });
    expect(await w.attempt({ login: 'second' })).toMatchObject({ ok: true, stage: 'totp' });
    // The one-time password expires.
    expect(await w.attempt({ login: 'first', atMs: T0 + 1 })).toMatchObject({
      ok: false,
      reason: 'password-expired',
    });
  });

  it('locks a login out at one address only: the right password and code from another address still sign in', async () => {
    const w = world();
    for (let i = 0; i < 3; i++) await w.attempt({ password: `guess number ${i}`, from: '203.0.113.9' });
    // The guesser's address is refused before any password check, even with the right one.
    expect(await w.attempt({ code: codeAt(T0), from: '203.0.113.9' })).toMatchObject({
      ok: false,
      refusal: 'throttled',
      scope: 'login-and-address',
      retryAfterMs: 60_000,
    });
    expect(w.failures).toHaveLength(3);
    // The person, elsewhere, is not.
    expect(await w.attempt({ code: codeAt(T0), from: '198.51.100.1' })).toMatchObject({
      ok: true,
      stage: 'full',
    });
    // A minute later the guesser's failures have left the window.
    expect(
      await w.attempt({ code: codeAt(T0 + 60_000), from: '203.0.113.9', atMs: T0 + 60_000 }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('stops TOTP guesses spread over addresses once the login has had its wrong codes, checking no more', async () => {
    const w = world();
    const wrong = codeAt(T0) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 10; i++)
      expect(await w.attempt({ code: wrong, from: `198.51.100.${10 + i}` })).toMatchObject({
        reason: 'wrong-code',
      });
    // Not checked, the step not taken, and failed as a wrong password fails (a guesser is told nothing more).
    expect(await w.attempt({ code: codeAt(T0), from: '192.0.2.9' })).toMatchObject({
      ok: false,
      refusal: 'invalid',
      reason: 'code-locked',
    });
    expect([w.failures.length, w.inFlight.size, w.accounts[0]!.totpLastStep]).toEqual([11, 0, null]);
    expect(await w.attempt({ password: 'not it', from: '192.0.2.9' })).toMatchObject({
      reason: 'wrong-password',
    });
    expect(await w.attempt({ code: codeAt(T0 + 60_000), atMs: T0 + 60_000 })).toMatchObject({ ok: true });
  });

  it('lets no more concurrent guesses through than the lock-out allows, and settles every attempt', async () => {
    const w = world();
    // Twelve at once: each would have read "no failures yet" before any password check ended.
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => w.attempt({ password: `guess ${i}`, from: '203.0.113.7' })),
    );
    const refusals = outcomes.map((o) => (o.ok ? 'ok' : o.refusal));
    expect(refusals.filter((r) => r === 'invalid')).toHaveLength(policy.maxPerLoginAndAddress);
    expect(refusals.filter((r) => r === 'throttled')).toHaveLength(12 - policy.maxPerLoginAndAddress);
    expect(w.failures).toHaveLength(policy.maxPerLoginAndAddress);
    expect(w.inFlight.size).toBe(0);
    // A success and a disabled refusal count for nothing either.
    expect(await w.attempt({ code: codeAt(T0) })).toMatchObject({ ok: true });
    expect(w.failures).toHaveLength(policy.maxPerLoginAndAddress);
    expect(w.inFlight.size).toBe(0);
  });

  it('locks an address that fails across many logins, and only that address', async () => {
    const w = world([account(), account({ personId: 'p-2', login: 'curator.binh' })]);
    for (let i = 0; i < 5; i++) await w.attempt({ login: `someone${i}`, from: '2001:db8:1:2::7' });
    // Another address of the same /64 is the same guesser.
    expect(
      await w.attempt({ login: 'curator.binh', code: codeAt(T0), from: '2001:db8:1:2::8' }),
    ).toMatchObject({
      refusal: 'throttled',
      scope: 'address',
    });
    expect(
      await w.attempt({ login: 'curator.binh', code: codeAt(T0), from: '2001:db8:1:3::8' }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('refuses a disabled person only once both factors are right, without counting a failure or taking the step', async () => {
    const w = world([account({ disabled: true })]);
    expect(await w.attempt({ password: 'wrong pass phrase', code: codeAt(T0) })).toMatchObject({
      refusal: 'invalid',
      reason: 'wrong-password',
    });
    expect(await w.attempt({ code: codeAt(T0) })).toMatchObject({ ok: false, refusal: 'disabled' });
    expect(w.failures).toHaveLength(1);
    expect(w.accounts[0]!.totpLastStep).toBeNull();
  });
});
