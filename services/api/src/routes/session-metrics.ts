import type { SignInOutcome } from '@mod/people';
import { Counter, type Registry } from '@mod/telemetry';

/**
 * What a sign-in came to, as `mod_api_sign_ins_total` counts it: `success` (a full session), `enrolment` (a first
 * sign-in or one without a second factor yet: a session that may only set a password or enrol TOTP),
 * `bad-credentials` (unknown login, wrong password, expired one-time password), `second-factor` (code missing,
 * wrong or replayed), `locked` (refused by the lock-out before any check, or a code left unchecked because the
 * login's wrong codes reached their limit), `disabled` (both factors right, the
 * person or tenant switched off). A rising `locked` or `second-factor` is someone guessing.
 */
export const SignInMetricOutcomes = [
  'success',
  'enrolment',
  'bad-credentials',
  'second-factor',
  'locked',
  'disabled',
] as const;
export type SignInMetricOutcome = (typeof SignInMetricOutcomes)[number];

export function signInMetricOutcome(o: SignInOutcome): SignInMetricOutcome {
  if (o.ok) return o.stage === 'full' ? 'success' : 'enrolment';
  if (o.refusal === 'throttled') return 'locked';
  if (o.refusal === 'disabled') return 'disabled';
  switch (o.reason) {
    case 'code-missing':
    case 'wrong-code':
    case 'replayed-code':
      return 'second-factor';
    case 'code-locked':
      return 'locked';
    case 'unknown-login':
    case 'wrong-password':
    case 'password-expired':
    case 'current-password-wrong':
      return 'bad-credentials';
  }
}

/** Registers `mod_api_sign_ins_total{outcome}` on the API's registry, every outcome present from 0. */
export function registerSignInMetric(registry: Registry): (o: SignInOutcome) => void {
  const signIns = new Counter({
    name: 'mod_api_sign_ins_total',
    help: "People's sign-ins by outcome (success, enrolment, bad-credentials, second-factor, locked, disabled)",
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of SignInMetricOutcomes) signIns.inc({ outcome }, 0);
  return (o) => signIns.inc({ outcome: signInMetricOutcome(o) });
}
