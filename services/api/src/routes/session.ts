import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { getTenant } from '@mod/db/access';
import { appendAuditAlone } from '@mod/db/audit';
import {
  createSignInStore,
  getPersonSecrets,
  lockPasswordHash,
  rehashPersonPassword,
  revokeSession,
} from '@mod/db/people';
import { hashPassword, signIn, type SignInOutcome } from '@mod/people';
import type { Registry } from '@mod/telemetry';
import { randomBytes } from 'node:crypto';
import { peopleError } from '../people-errors.js';
import { clearedSessionCookie } from '../session-auth.js';
import { ErrorResponses, registerParts, type TypedApp } from './common.js';
import {
  Login,
  Password,
  SessionBody,
  TotpCodeSchema,
  sessionRoute,
  type PeopleRouteDeps,
} from './people-schemas.js';
import { sessionEnrolmentRoutes } from './session-enrolment.js';
import { registerSignInMetric } from './session-metrics.js';
import { pruneAfterSignIn, renewedPasswordHash } from './session-upkeep.js';
import {
  auditPerson,
  beginSession,
  personOf,
  requireSecretKey,
  sessionAnswer,
  setSessionCookie,
  totpEnrolment,
} from './session-common.js';

/** The session routes' deps: the people routes' and the registry `mod_api_sign_ins_total` goes on. */
export interface SessionRouteDeps extends PeopleRouteDeps {
  registry: Registry;
}

/**
 * People's sessions (under `/v1/session`): sign in with login, password and TOTP code (`POST`), who am I and the
 * CSRF token (`GET`), sign out (`DELETE`); a first sign-in's password change and TOTP enrolment are
 * session-enrolment.ts. The session is a `__Host-` cookie (Secure, HttpOnly, SameSite=Strict); machines keep
 * their API keys and never reach these routes.
 */
export async function sessionRoutes(app: TypedApp, deps: SessionRouteDeps): Promise<void> {
  await registerParts(app, deps, [signInRoutes, sessionEnrolmentRoutes]);
}

/**
 * Sign in, who am I, sign out. A sign-in is counted by outcome (`mod_api_sign_ins_total`, session-metrics.ts); a
 * successful one renews a password hash made with older argon2 parameters and prunes a batch of ended sessions
 * (session-upkeep.ts).
 */
async function signInRoutes(app: TypedApp, deps: SessionRouteDeps): Promise<void> {
  const { db, now, people: settings } = deps;
  const store = createSignInStore(db);
  const countSignIn = registerSignInMetric(deps.registry);
  // The hash an unknown login is checked against (as long as a real one), made once, at the first sign-in.
  let decoy: Promise<string> | undefined;
  const decoyHash = () =>
    (decoy ??= hashPassword(randomBytes(32).toString('base64'), settings.passwordParams));

  app.post(
    '',
    {
      config: { public: true },
      schema: {
        description:
          'Signs a person in: login, password and (once enrolled) the TOTP code. Sets the session cookie and answers the CSRF token. A one-time password leads to a session that may only set a new password.',
        body: Type.Object(
          { login: Login, password: Password, code: Type.Optional(TotpCodeSchema) },
          { additionalProperties: false },
        ),
        response: { 200: SessionBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const key = requireSecretKey(req, settings);
      const at = now();
      const outcome = await signIn(
        {
          login: req.body.login,
          password: req.body.password,
          ...(req.body.code === undefined ? {} : { code: req.body.code }),
          clientAddress: req.ip,
        },
        {
          store,
          secretKey: key,
          policy: settings.lockout,
          nowMs: at.getTime(),
          decoyHash: await decoyHash(),
        },
      );
      if (!outcome.ok) {
        countSignIn(outcome);
        throw await refusal(outcome);
      }
      const { account, stage } = outcome;
      // Hashed before the transaction: argon2 runs on the thread pool, not while a connection is held.
      const renewed = await renewedPasswordHash(account, req.body.password, settings);
      const answer = await withTransaction(db, async (c) => {
        // The password verified must still be the person's: a reset or password change since then ended every
        // session, and one begun now with the old password would outlive it.
        if ((await lockPasswordHash(c, account.personId)) !== account.passwordHash)
          return 'credentials-changed';
        // Nor may the person, or their tenant, have been disabled since their account was read: the disable ended
        // every session it found, and one begun after it would come back when they are enabled again. Read under the
        // row's lock, which a person's disable and a tenant's switch-off (every person of it) take too: either it
        // waits for this session (and ends it) or is seen here.
        const person = await personOf(c, account.personId);
        if (person.disabledAt !== null || (await getTenant(c, person.tenantId))?.disabledAt !== null)
          return 'disabled';
        const rehashed = renewed !== null && (await rehashPersonPassword(c, person.id, renewed));
        const started = await beginSession(c, {
          person,
          stage,
          clientAddress: req.ip,
          now: at,
          settings,
          action: 'person.signed_in',
          evidence: { stage, ...(rehashed ? { passwordRehashed: true } : {}) },
        });
        const secrets = stage === 'totp' ? await getPersonSecrets(c, person.id) : null;
        return started.answer(
          secrets === null
            ? undefined
            : await totpEnrolment(c, {
                person,
                sessionId: started.id,
                pendingSealed: secrets.totpPendingSealed,
                key,
                issuer: settings.totpIssuer,
              }),
        );
      });
      if (answer === 'credentials-changed') {
        const changed = { ok: false, refusal: 'invalid', reason: 'wrong-password', account } as const;
        countSignIn(changed);
        throw await refusal(changed, 'credentials-changed');
      }
      if (answer === 'disabled') {
        const disabled = { ok: false, refusal: 'disabled', account } as const;
        countSignIn(disabled);
        throw await refusal(disabled);
      }
      setSessionCookie(reply, answer);
      countSignIn(outcome);
      await pruneAfterSignIn(db, { now: at, settings, log: req.log });
      return answer.body;

      /**
       * The error a failed sign-in answers, audited (as `reason`, by default the failure's) unless it was throttled
       * (a guesser must not flood the log).
       */
      async function refusal(o: Exclude<SignInOutcome, { ok: true }>, reason?: string) {
        if (o.refusal === 'throttled') {
          const retryAfterS = Math.ceil(o.retryAfterMs / 1000);
          reply.header('retry-after', String(retryAfterS));
          return peopleError(req, 'MOD_ERR_API_RATE_LIMITED', 'sign-in-throttled', retryAfterS);
        }
        const account = o.account;
        await appendAuditAlone(db, {
          // An unknown login is not written down: people type passwords into the login field.
          actor:
            account === null ? { kind: 'user', id: 'anonymous' } : { kind: 'person', id: account.personId },
          tenantId: account?.tenantId ?? null,
          action: o.refusal === 'disabled' ? 'person.sign_in_refused' : 'person.sign_in_failed',
          subject: { type: 'route', id: 'POST /v1/session' },
          reason: reason ?? (o.refusal === 'disabled' ? 'disabled' : o.reason),
        }).catch((err: unknown) => req.log.error({ err }, 'could not audit a failed sign-in'));
        return o.refusal === 'disabled'
          ? peopleError(req, 'MOD_ERR_API_ACCOUNT_DISABLED', 'account-disabled')
          : peopleError(req, 'MOD_ERR_API_SIGN_IN_FAILED', 'sign-in-failed');
      }
    },
  );

  app.get(
    '',
    {
      config: sessionRoute(['password', 'totp', 'full']),
      schema: {
        description: "Who is signed in, the session's stage and ends, and its CSRF token.",
        response: { 200: SessionBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const { session, token } = req.personSession!;
      const person = await personOf(db, session.personId);
      let enrolment;
      if (session.stage === 'totp') {
        const secrets = await getPersonSecrets(db, person.id);
        enrolment = await totpEnrolment(db, {
          person,
          sessionId: session.id,
          pendingSealed: secrets?.totpPendingSealed ?? null,
          key: requireSecretKey(req, settings),
          issuer: settings.totpIssuer,
        });
      }
      return sessionAnswer({
        person,
        tenantKind: req.principal!.tenantKind,
        stage: session.stage,
        token,
        expiresAt: session.expiresAt,
        idleExpiresAt: session.idleExpiresAt,
        ...(enrolment === undefined ? {} : { totpEnrolment: enrolment }),
      });
    },
  );

  app.delete(
    '',
    {
      config: sessionRoute(['password', 'totp', 'full']),
      schema: {
        description: 'Signs out: ends the session and removes its cookie.',
        response: {
          200: Type.Object({ signedOut: Type.Boolean() }, { additionalProperties: false }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const { session } = req.personSession!;
      await withTransaction(db, async (c) => {
        await revokeSession(c, session.id, 'signed-out', now());
        await auditPerson(c, await personOf(c, session.personId), {
          action: 'person.signed_out',
          evidence: { session: session.id },
        });
      });
      reply.header('set-cookie', clearedSessionCookie());
      return { signedOut: true };
    },
  );
}
