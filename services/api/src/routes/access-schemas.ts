import { Type } from '@fastify/type-provider-typebox';
import { Roles, TenantFieldRules, TenantKinds } from '@mod/db';
import { Timestamp, Uuid } from './common.js';

/**
 * Schemas shared by the tenant, key and certificate routes (admin-*.ts, account.ts). Field rules come from
 * `@mod/db` (`TenantFieldRules`), which modctl checks its arguments against too.
 */

/** The access rule of every administration route: admins only; the data is no tenant's. */
export const ADMIN_ROUTE = { roles: ['admin'], tenant: 'none' } as const;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const TenantId = Type.String({ ...TenantFieldRules.tenantId, description: 'lowercase slug' });
export const TenantName = Type.String({ ...TenantFieldRules.tenantName });
export const RoleSchema = Type.Union(Roles.map((r) => Type.Literal(r)));
export const TenantKindSchema = Type.Union(TenantKinds.map((k) => Type.Literal(k)));

export const TenantBody = Type.Object(
  {
    id: TenantId,
    kind: TenantKindSchema,
    name: Type.String(),
    subscribedToBlocking: Type.Boolean(),
    createdAt: Type.String(),
    disabledAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const KeyBody = Type.Object(
  {
    id: Uuid,
    tenantId: TenantId,
    prefix: Type.String(),
    role: RoleSchema,
    label: Nullable(Type.String()),
    createdBy: Nullable(Type.String()),
    createdAt: Type.String(),
    expiresAt: Nullable(Type.String()),
    revokedAt: Nullable(Type.String()),
    lastUsedAt: Nullable(Type.String()),
  },
  { additionalProperties: false, description: 'An API key without its secret (never stored).' },
);

export const NewKeyBody = Type.Object(
  {
    id: Uuid,
    tenantId: TenantId,
    role: RoleSchema,
    prefix: Type.String(),
    key: Type.String({ description: 'The secret key: shown this once, never again.' }),
    expiresAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const CertificateBody = Type.Object(
  {
    id: Uuid,
    tenantId: TenantId,
    fingerprintSha256: Type.String(),
    role: RoleSchema,
    label: Nullable(Type.String()),
    createdAt: Type.String(),
    expiresAt: Nullable(Type.String()),
    revokedAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const KeyIdParams = Type.Object({ keyId: Uuid }, { additionalProperties: false });
export const TenantIdParams = Type.Object({ tenantId: TenantId }, { additionalProperties: false });
export const Label = Type.String({ ...TenantFieldRules.credentialLabel });
export const ExpiresAt = Timestamp;
