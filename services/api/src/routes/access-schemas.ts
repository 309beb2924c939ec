import { Type, type TProperties } from '@fastify/type-provider-typebox';
import { Roles, TenantFieldRules, TenantKinds } from '@mod/db/access';
import { MAX_PAGE, Nullable, Timestamp, Uuid } from './common.js';

/**
 * Schemas shared by the tenant, key and certificate routes (admin-*.ts, account.ts). Field rules come from
 * `@mod/db` (`TenantFieldRules`), which modctl checks its arguments against too.
 */

/** The access rule of every administration route: admins only; the data is no tenant's. */
export const ADMIN_ROUTE = { roles: ['admin'], tenant: 'none' } as const;

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

/** A credential's owner and role: its id and tenant, what identifies it to people, its role and label. */
const credential = <I extends TProperties>(identifiedBy: I) => ({
  id: Uuid,
  tenantId: TenantId,
  ...identifiedBy,
  role: RoleSchema,
  label: Nullable(Type.String()),
});
/** When a credential was made, and until when it authenticates. */
const Validity = {
  createdAt: Type.String(),
  expiresAt: Nullable(Type.String()),
  revokedAt: Nullable(Type.String()),
};

export const KeyBody = Type.Object(
  {
    ...credential({ prefix: Type.String() }),
    createdBy: Nullable(Type.String()),
    ...Validity,
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
  { ...credential({ fingerprintSha256: Type.String() }), ...Validity },
  { additionalProperties: false },
);

export const KeyIdParams = Type.Object({ keyId: Uuid }, { additionalProperties: false });
export const TenantIdParams = Type.Object({ tenantId: TenantId }, { additionalProperties: false });
/** The query of an admin list paged by tenant id: at most `limit` (default 50) tenants, those after `after`. */
export const TenantPageQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })), after: Type.Optional(TenantId) },
  { additionalProperties: false },
);

/**
 * One page of the admin list `list` paged by tenant id (`TenantPageQuery`): what `read` answers for the page, under
 * the list's name, and the id the next page starts after (null: this page was not full, so it is the last).
 */
export async function tenantPage<L extends string, T>(
  list: L,
  query: { limit?: number; after?: string },
  read: (page: { limit: number; after?: string }) => Promise<T[]>,
  idOf: (item: T) => string,
): Promise<Record<L, T[]> & { nextAfter: string | null }> {
  const limit = query.limit ?? 50;
  const items = await read({ limit, ...(query.after === undefined ? {} : { after: query.after }) });
  const last = items.at(-1);
  const nextAfter = items.length === limit && last !== undefined ? idOf(last) : null;
  return { [list]: items, nextAfter } as Record<L, T[]> & { nextAfter: string | null };
}
export const Label = Type.String({ ...TenantFieldRules.credentialLabel });
export const ExpiresAt = Timestamp;
