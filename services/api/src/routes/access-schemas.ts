import { Type } from '@fastify/type-provider-typebox';
import { Roles, TenantKinds } from '@mod/db';
import { Text, Timestamp, Uuid } from './common.js';

/** Schemas shared by the tenant, key and certificate routes (admin.ts, account.ts). */

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const TenantId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lowercase slug' });
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
export const Label = Text(100);
export const ExpiresAt = Timestamp;
