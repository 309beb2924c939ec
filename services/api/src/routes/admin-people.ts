import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { withTransaction, type Queryable } from '@mod/db';
import {
  createPerson,
  getPerson,
  listPeople,
  resetPersonPassword,
  revokeSessionsOf,
  setPersonDisabled,
  type Person,
} from '@mod/db/people';
import { releaseClaimsOf } from '@mod/db/cases';
import { generateOneTimePassword, isValidDisplayName, normaliseLogin } from '@mod/people';
import type { Principal } from '@mod/db/access';
import { principalOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { peopleError } from '../people-errors.js';
import { ADMIN_ROUTE, RoleSchema, TenantId } from './access-schemas.js';
import { auditCallerChange, ErrorResponses, MAX_PAGE, Text, Uuid, type TypedApp } from './common.js';
import {
  DisplayName,
  Login,
  OneTimePasswordBody,
  PersonBody,
  type PeopleRouteDeps,
} from './people-schemas.js';
import { hashNewPassword } from './session-common.js';

const PersonIdParams = Type.Object({ personId: Uuid }, { additionalProperties: false });

/**
 * Staff accounts (under `/v1/admin/people`, platform admins only, every tenant's people): create a person (the
 * one-time password is answered once), list them, reset a password (a new one-time password, the second factor
 * enrolled again, every session ended), disable on leave and enable again (sessions ended). Every change is
 * audited in its transaction, naming the person by id (never their login or name: the log holds no personal
 * data). There is no tenant-level admin: an authority's or hotline's people are issued by the operator's admins.
 */
export async function adminPeopleRoutes(app: TypedApp, deps: PeopleRouteDeps): Promise<void> {
  const { db, now, people: settings } = deps;

  /** A fresh one-time password: its hash, the time it stops working, and the text (shown once). */
  const oneTimePassword = async () => {
    const text = generateOneTimePassword();
    return {
      text,
      hash: await hashNewPassword(deps, text),
      expiresAt: new Date(now().getTime() + settings.oneTimePasswordTtlMs),
    };
  };
  const audit = (
    c: Queryable,
    p: Principal,
    person: Person,
    action: string,
    e: Record<string, unknown>,
    reason?: string,
  ) =>
    auditCallerChange(c, p, {
      action,
      subject: { type: 'person', id: person.id },
      reason: reason ?? null,
      evidence: { tenantId: person.tenantId, role: person.role, ...e },
    });

  app.get(
    '',
    {
      config: ADMIN_ROUTE,
      schema: {
        querystring: Type.Object(
          {
            tenantId: Type.Optional(TenantId),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
            after: Type.Optional(Login),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { people: Type.Array(PersonBody), nextAfter: Type.Union([Type.String(), Type.Null()]) },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const people = await listPeople(db, {
        limit,
        ...(req.query.tenantId === undefined ? {} : { tenantId: req.query.tenantId }),
        ...(req.query.after === undefined ? {} : { after: normaliseLogin(req.query.after) }),
      });
      return { people, nextAfter: people.length === limit ? (people.at(-1)?.login ?? null) : null };
    },
  );

  app.post(
    '',
    {
      config: ADMIN_ROUTE,
      schema: {
        description:
          "Creates a person of a tenant with a role its kind allows (people: authority, reviewer, curator, admin). Answers a one-time password, once: the person's first sign-in must replace it and enrol TOTP.",
        body: Type.Object(
          { tenantId: TenantId, login: Login, displayName: DisplayName, role: RoleSchema },
          { additionalProperties: false },
        ),
        response: { 201: OneTimePasswordBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      if (!isValidDisplayName(b.displayName))
        throw badRequest('MOD_ERR_API_VALIDATION', 'invalid display name');
      const otp = await oneTimePassword();
      const person = await withTransaction(db, async (c) => {
        const made = await createPerson(c, {
          tenantId: b.tenantId,
          login: normaliseLogin(b.login),
          displayName: b.displayName.trim(),
          role: b.role,
          passwordHash: otp.hash,
          passwordExpiresAt: otp.expiresAt,
          createdBy: p.personId ?? p.keyId,
        });
        if (!made.ok && made.reason === 'unknown-tenant') throw notFound('tenant');
        if (!made.ok && made.reason === 'login-taken')
          throw peopleError(req, 'MOD_ERR_API_LOGIN_TAKEN', 'login-taken');
        if (!made.ok) throw peopleError(req, 'MOD_ERR_API_ROLE_NOT_FOR_PEOPLE', 'role-not-for-people');
        await audit(c, p, made.person, 'person.created', {});
        return made.person;
      });
      return reply.code(201).send({
        person,
        oneTimePassword: otp.text,
        oneTimePasswordExpiresAt: otp.expiresAt.toISOString(),
        sessionsEnded: 0,
      });
    },
  );

  /**
   * An admin's command on one person (`POST /:personId/<verb>`): `command` gets the caller, the person's id and the
   * body. A `notYourself` command refuses the admin's own person (an admin must not lock themselves out).
   */
  function personCommand<B extends TSchema, R extends TSchema>(
    verb: string,
    route: { description: string; body?: B; response: R; notYourself: boolean },
    command: (a: { p: Principal; personId: string; body: Static<B> }) => Promise<Static<R>>,
  ): void {
    // Widened: the type provider cannot resolve a generic schema's reply; `command` answers Static<R>.
    const answer: TSchema = route.response;
    app.post(
      `/:personId/${verb}`,
      {
        config: ADMIN_ROUTE,
        schema: {
          description: route.description,
          params: PersonIdParams,
          ...(route.body === undefined ? {} : { body: route.body }),
          response: { 200: answer, ...ErrorResponses },
        },
      },
      async (req) => {
        const p = principalOf(req);
        if (route.notYourself && p.personId === req.params.personId)
          throw peopleError(req, 'MOD_ERR_API_NOT_YOURSELF', 'not-yourself');
        return command({ p, personId: req.params.personId, body: req.body });
      },
    );
  }

  personCommand(
    'reset',
    {
      description:
        'Resets a password: a new one-time password (answered once), the second factor to enrol again, every session of the person ended.',
      response: OneTimePasswordBody,
      notYourself: true,
    },
    async ({ p, personId }) => {
      const otp = await oneTimePassword();
      return withTransaction(db, async (c) => {
        const person = await resetPersonPassword(c, personId, {
          passwordHash: otp.hash,
          expiresAt: otp.expiresAt,
        });
        if (person === null) throw notFound('person');
        const ended = await revokeSessionsOf(c, person.id, 'password-reset', now());
        await audit(c, p, person, 'person.password_reset', { sessionsEnded: ended });
        return {
          person,
          oneTimePassword: otp.text,
          oneTimePasswordExpiresAt: otp.expiresAt.toISOString(),
          sessionsEnded: ended,
        };
      });
    },
  );

  const PersonChange = Type.Object(
    { person: PersonBody, sessionsEnded: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  );

  personCommand(
    'disable',
    {
      description:
        'Disables a person (leave, departure): no sign-in, every session ended at once. Idempotent.',
      body: Type.Object({ reason: Text(300) }, { additionalProperties: false }),
      response: PersonChange,
      notYourself: true,
    },
    async ({ p, personId, body }) => {
      const at = now();
      return withTransaction(db, async (c) => {
        const changed = await setPersonDisabled(c, personId, { disabled: true, reason: body.reason }, at);
        if (changed === null) throw notFound('person');
        const ended = await revokeSessionsOf(c, changed.after.id, 'disabled', at);
        // Their claims go back to the queue: they can no longer decide, and would hold colleagues off the cases.
        const released = await releaseClaimsOf(c, changed.after.id, at);
        if (changed.before.disabledAt === null || ended > 0 || released.length > 0)
          await audit(
            c,
            p,
            changed.after,
            'person.disabled',
            { sessionsEnded: ended, claimsReleased: released },
            body.reason,
          );
        return { person: changed.after, sessionsEnded: ended };
      });
    },
  );

  personCommand(
    'enable',
    {
      description:
        'Enables a disabled person again (their password and second factor are unchanged; sessionsEnded: any session left from before the disable, ended now so that none comes back). Idempotent.',
      response: PersonChange,
      notYourself: false,
    },
    async ({ p, personId }) =>
      withTransaction(db, async (c) => {
        const at = now();
        const changed = await setPersonDisabled(c, personId, { disabled: false, reason: null }, at);
        if (changed === null) throw notFound('person');
        if (changed.before.disabledAt === null) return { person: changed.after, sessionsEnded: 0 };
        // A disabled person's sessions answer nothing, and the disable ended those it found; one that was begun
        // anyway (a sign-in or enrolment racing the disable) would come back now. Enabled, the person starts over.
        const ended = await revokeSessionsOf(c, changed.after.id, 'disabled', at);
        await audit(c, p, changed.after, 'person.enabled', ended > 0 ? { sessionsEnded: ended } : {});
        return { person: changed.after, sessionsEnded: ended };
      }),
  );

  // A person by id, for the console's detail view.
  app.get(
    '/:personId',
    {
      config: ADMIN_ROUTE,
      schema: { params: PersonIdParams, response: { 200: PersonBody, ...ErrorResponses } },
    },
    async (req) => {
      const person = await getPerson(db, req.params.personId);
      if (person === null) throw notFound('person');
      return person;
    },
  );
}
