import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { withTransaction } from '@mod/db';
import {
  beginCurrentPasswordCheck,
  confirmTotp,
  createSignInStore,
  getPersonSecrets,
  lockPasswordHash,
  revokeSession,
  revokeSessionsOf,
  setPersonPassword,
} from '@mod/db/people';
import {
  clientAddressKey,
  codeLockDecision,
  passwordProblems,
  passwordProblemsMessage,
  sealSecret,
  underLockout,
  verifyPassword,
  verifyTotp,
} from '@mod/people';
import { languageOf, peopleError, peopleErrorWithText } from '../people-errors.js';
import { forgetDeadSession } from '../session-auth.js';
import { ErrorResponses, type TypedApp } from './common.js';
import {
  Password,
  SessionBody,
  TotpCodeSchema,
  sessionRoute,
  type PeopleRouteDeps,
} from './people-schemas.js';
import {
  beginSession,
  hashNewPassword,
  openPendingTotp,
  personOf,
  requireSecretKey,
  setSessionCookie,
  totpEnrolment,
} from './session-common.js';

/**
 * A person's own password and second factor (under `/v1/session`). A first sign-in (one-time password) must set a
 * new password, then confirm a TOTP code from the authenticator app; only then is the session `full`, under a new
 * token, and every other session of theirs ends (none began with the second factor). A signed-in person changes
 * their password with the current one; every other session of theirs ends, and theirs goes on under a new token.
 * A session gone on under a new token keeps its absolute end (`beginSession`'s `continues`).
 */
export async function sessionEnrolmentRoutes(app: TypedApp, deps: PeopleRouteDeps): Promise<void> {
  const { db, now, people: settings } = deps;
  const store = createSignInStore(db);
  /** What a step of a person's own session works with: the session, the people key, the time and their secrets. */
  const sessionStep = async (req: FastifyRequest) => {
    const { session } = req.personSession!;
    const key = requireSecretKey(req, settings);
    const at = now();
    return { session, key, at, secrets: await getPersonSecrets(db, session.personId) };
  };

  app.post(
    '/password',
    {
      config: sessionRoute(['password', 'full']),
      schema: {
        description:
          'Sets a new password: after a one-time password (then TOTP enrolment follows), or with the current password. The session goes on under a new token (cookie) and CSRF token, until the same absolute end; every other session of the person ends.',
        body: Type.Object(
          { currentPassword: Type.Optional(Password), newPassword: Password },
          { additionalProperties: false },
        ),
        response: { 200: SessionBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { session, key, at, secrets } = await sessionStep(req);
      if (secrets === null) throw new Error('the person of a live session vanished');
      if (session.stage === 'full') {
        // A stolen session must not be a way to guess the password: the same lock-out as sign-in, and, as for TOTP
        // codes, a limit per login from every address (guesses spread over addresses each pass the per-address
        // lock-out). Counted before the check, so concurrent guesses cannot all pass the lock-out (as at sign-in).
        const policy = settings.lockout;
        const nowMs = at.getTime();
        const loginLock = { retryAfterMs: null as number | null };
        const attempt = await underLockout(
          store,
          { login: secrets.login, addressKey: clientAddressKey(req.ip), policy, nowMs },
          async (attemptId) => {
            const since = { attemptId, login: secrets.login, sinceMs: nowMs - policy.windowMs };
            const lock = codeLockDecision(await beginCurrentPasswordCheck(db, since), policy, nowMs);
            // Not checked, not counted: the limit is the login's, whatever was typed.
            if (lock.locked) {
              loginLock.retryAfterMs = lock.retryAfterMs;
              return { result: false, failure: null };
            }
            const current = req.body.currentPassword;
            const ok = current !== undefined && (await verifyPassword(current, secrets.passwordHash));
            return { result: ok, failure: ok ? null : 'current-password-wrong' };
          },
        );
        const retryAfterMs = attempt.locked ? attempt.retryAfterMs : loginLock.retryAfterMs;
        if (retryAfterMs !== null)
          throw peopleError(
            req,
            'MOD_ERR_API_RATE_LIMITED',
            'sign-in-throttled',
            Math.ceil(retryAfterMs / 1000),
          );
        if (attempt.locked || !attempt.result)
          throw peopleError(req, 'MOD_ERR_API_CURRENT_PASSWORD_WRONG', 'current-password-wrong');
      }
      const problems = passwordProblems(req.body.newPassword, secrets.login);
      if (problems.length > 0)
        throw peopleErrorWithText(
          'MOD_ERR_API_WEAK_PASSWORD',
          passwordProblemsMessage(problems, languageOf(req)),
        );
      if (await verifyPassword(req.body.newPassword, secrets.passwordHash))
        throw peopleError(req, 'MOD_ERR_API_SAME_PASSWORD', 'same-password');
      const hash = await hashNewPassword(deps, req.body.newPassword);
      const answer = await withTransaction(db, async (c) => {
        // The password this session verified (or began with) must still be the person's, and the session live: an
        // admin's reset (or another change) since then ended it, and a new password now would undo that reset.
        if ((await lockPasswordHash(c, session.personId)) !== secrets.passwordHash)
          throw endedSession(req, reply);
        // This session goes on under a new token too: a copy of its token (lifted from this browser, the theft a
        // password change answers) must end with the old password, as every other session does.
        if (!(await revokeSession(c, session.id, 'password-changed', at))) throw endedSession(req, reply);
        await setPersonPassword(c, session.personId, hash, at);
        const ended = await revokeSessionsOf(c, session.personId, 'password-changed', at, session.id);
        const person = await personOf(c, session.personId);
        const stage =
          secrets.totpSecretSealed === null ? 'totp' : session.stage === 'password' ? 'full' : session.stage;
        const next = await beginSession(c, {
          person,
          stage,
          clientAddress: req.ip,
          now: at,
          settings,
          action: 'person.password_changed',
          reason: session.stage === 'password' ? 'first sign-in' : null,
          evidence: { previousSession: session.id, sessionsEnded: ended },
          continues: session,
        });
        // The TOTP secret to enrol is sealed for the session it is shown to: the new one.
        const enrolment =
          stage === 'totp'
            ? await totpEnrolment(c, {
                person,
                sessionId: next.id,
                pendingSealed: null,
                key,
                issuer: settings.totpIssuer,
              })
            : undefined;
        return next.answer(enrolment);
      });
      setSessionCookie(reply, answer);
      return answer.body;
    },
  );

  app.post(
    '/totp',
    {
      config: sessionRoute(['totp']),
      schema: {
        description:
          'Confirms TOTP enrolment with a code from the authenticator app. The session becomes full, under a new token (cookie) and CSRF token, until the same absolute end; every other session of the person ends.',
        body: Type.Object({ code: TotpCodeSchema }, { additionalProperties: false }),
        response: { 200: SessionBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { session, key, at, secrets } = await sessionStep(req);
      const pending = secrets?.totpPendingSealed ?? null;
      if (pending === null) throw peopleError(req, 'MOD_ERR_API_SESSION_STAGE', 'not-in-this-step');
      // Only the secret shown to this session enrols (another session's pending secret: this code is wrong).
      const secret = openPendingTotp(key, pending, { personId: session.personId, sessionId: session.id });
      const check =
        secret === null
          ? null
          : verifyTotp({ secret, code: req.body.code, nowMs: at.getTime(), lastAcceptedStep: null });
      if (secret === null || !check?.ok)
        throw peopleError(req, 'MOD_ERR_API_TOTP_CODE_WRONG', 'enrolment-code-wrong');
      // Kept sealed for the person alone, as sign-in opens it; only if that pending secret is still the one.
      const sealed = { pending, secret: sealSecret(key, secret, session.personId) };
      const answer = await withTransaction(db, async (c) => {
        if (!(await confirmTotp(c, session.personId, check.step, at, sealed)))
          throw peopleError(req, 'MOD_ERR_API_SESSION_STAGE', 'not-in-this-step');
        // Every other session began without this second factor (one signed in with a stolen password, waiting
        // to enrol its own authenticator over this one): it ends now, as other sessions do at a password change.
        const ended = await revokeSessionsOf(c, session.personId, 'totp-enrolled', at, session.id);
        // The session gained the API: it continues under a new token, so a token seen before is worth nothing. One
        // ended meanwhile (a disable, a reset) begins nothing and enrols nothing (thrown: the transaction is undone):
        // a person disabled, then enabled, has no session of before.
        if (!(await revokeSession(c, session.id, 'enrolled', at))) throw endedSession(req, reply);
        const person = await personOf(c, session.personId);
        const next = await beginSession(c, {
          person,
          stage: 'full',
          clientAddress: req.ip,
          now: at,
          settings,
          action: 'person.totp_enrolled',
          evidence: { previousSession: session.id, sessionsEnded: ended },
          continues: session,
        });
        return next.answer();
      });
      setSessionCookie(reply, answer);
      return answer.body;
    },
  );
}

/** A step whose session a reset or disable (or another step) ended meanwhile: 401, the cookie removed. */
function endedSession(req: FastifyRequest, reply: FastifyReply) {
  forgetDeadSession(reply);
  return peopleError(req, 'MOD_ERR_API_UNAUTHENTICATED', 'session-invalid');
}
