import { Type } from '@fastify/type-provider-typebox';
import { SAFE_TEXT_PATTERN } from '@mod/contracts/text-rules';
import { PersonRoles } from '@mod/db/people';
import { LOGIN_PATTERN, SessionStages } from '@mod/people';
import { TenantId, TenantKindSchema } from './access-schemas.js';
import { Nullable, Timestamp, Uuid } from './common.js';
import type { RouteDeps } from './common.js';
import type { PeopleSettings } from '../session-auth.js';

/** Schemas and access rules shared by the session routes (session*.ts) and the people admin routes. */

/** What the session and people routes use besides the common deps. */
export interface PeopleRouteDeps extends RouteDeps {
  people: PeopleSettings;
}

/** Roles people hold (machines' `isp` and `platform` never sign in). */
export const PERSON_ROLES = PersonRoles;

/** A session route: people only (no key or certificate), of any person role, no tenant's data. */
export const sessionRoute = (stages: readonly ('password' | 'totp' | 'full')[]) =>
  ({ roles: PERSON_ROLES, tenant: 'none', sessionOnly: true, sessionStages: stages }) as const;

export const PersonRoleSchema = Type.Union(PersonRoles.map((r) => Type.Literal(r)));
export const Login = Type.String({ pattern: LOGIN_PATTERN, description: 'compared in lower case' });
export const DisplayName = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: SAFE_TEXT_PATTERN,
});
/** A password as typed: bounded here, judged by the password rules (`@mod/people`). */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
export const TotpCodeSchema = Type.String({
  pattern: '^[0-9 ]{6,8}$',
  description: '6 digits (spaces allowed)',
});

export const PersonBody = Type.Object(
  {
    id: Uuid,
    tenantId: TenantId,
    login: Type.String(),
    displayName: Type.String(),
    role: PersonRoleSchema,
    mustChangePassword: Type.Boolean(),
    passwordExpiresAt: Nullable(Type.String()),
    totpEnrolled: Type.Boolean(),
    disabledAt: Nullable(Type.String()),
    disabledReason: Nullable(Type.String()),
    createdBy: Nullable(Type.String()),
    createdAt: Type.String(),
  },
  {
    additionalProperties: false,
    description: 'A person (staff account), never their password or second factor.',
  },
);

export const TotpEnrolmentBody = Type.Object(
  {
    secret: Type.String({ description: 'base32, for typing into an authenticator app' }),
    otpauthUri: Type.String({ description: 'otpauth://totp/… for a QR code' }),
  },
  { additionalProperties: false },
);

export const SessionBody = Type.Object(
  {
    stage: Type.Union(
      SessionStages.map((s) => Type.Literal(s)),
      {
        description: 'password: set a new password first; totp: enrol the authenticator next; full: the API',
      },
    ),
    csrfToken: Type.String({ description: 'send it as x-csrf-token on every state-changing request' }),
    person: Type.Object(
      {
        id: Uuid,
        tenantId: TenantId,
        tenantKind: TenantKindSchema,
        login: Type.String(),
        displayName: Type.String(),
        role: PersonRoleSchema,
      },
      { additionalProperties: false },
    ),
    expiresAt: Timestamp,
    idleExpiresAt: Timestamp,
    totpEnrolment: Type.Optional(TotpEnrolmentBody),
  },
  { additionalProperties: false },
);

export const OneTimePasswordBody = Type.Object(
  {
    person: PersonBody,
    oneTimePassword: Type.String({
      description: 'shown this once: hand it to the person, who must replace it',
    }),
    oneTimePasswordExpiresAt: Timestamp,
    sessionsEnded: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
