import { describe, expect, it } from 'vitest';
import type { SignInAccount, SignInFailure } from '@mod/people';
import { signInMetricOutcome } from './routes/session-metrics.js';

// The outcome label of every way a sign-in ends (routes/session-metrics.ts); the API's sign-in tests count them
// through real sign-ins (people-sign-in-upkeep.test.ts).

const account = { personId: 'p' } as SignInAccount;

describe('signInMetricOutcome', () => {
  it('names every failure reason by the factor that failed', () => {
    const reasons: Record<SignInFailure, string> = {
      'unknown-login': 'bad-credentials',
      'wrong-password': 'bad-credentials',
      'password-expired': 'bad-credentials',
      'code-missing': 'second-factor',
      'wrong-code': 'second-factor',
      'replayed-code': 'second-factor',
      'code-locked': 'locked',
      'current-password-wrong': 'bad-credentials',
    };
    for (const [reason, outcome] of Object.entries(reasons))
      expect(
        signInMetricOutcome({ ok: false, refusal: 'invalid', reason: reason as SignInFailure, account }),
        reason,
      ).toBe(outcome);
  });

  it('tells a full session from one that must enrol, the lock-out and a disabled account apart', () => {
    expect(signInMetricOutcome({ ok: true, account, stage: 'full' })).toBe('success');
    expect(signInMetricOutcome({ ok: true, account, stage: 'password' })).toBe('enrolment');
    expect(signInMetricOutcome({ ok: true, account, stage: 'totp' })).toBe('enrolment');
    expect(
      signInMetricOutcome({ ok: false, refusal: 'throttled', scope: 'address', retryAfterMs: 1000 }),
    ).toBe('locked');
    expect(signInMetricOutcome({ ok: false, refusal: 'disabled', account })).toBe('disabled');
  });
});
