import { withTransaction, type Pool } from '@mod/db';
import {
  createApiKey,
  expiresInFuture,
  getTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
  Roles,
  RolesByTenantKind,
  roleAllowedForTenant,
  satisfiesRule,
  TenantFieldRules,
} from '@mod/db/access';
import { appendAudit } from '@mod/db/audit';
import { positiveInt, stringOptions, subcommandCommand, type Command, type CommandIo } from '../command.js';
import { CliError, CliErrorCode } from '../errors.js';
import { ACCESS_USAGE_END, UUID, invalidValue, isOneOf, operator, withPool } from './curator.js';

const USAGE = [
  `usage: modctl key issue --tenant ID --role ${Roles.join('|')} [--label TEXT] [--expires-at TIME]`,
  '       modctl key revoke --id KEY_ID [--reason TEXT]',
  '       modctl key list [--tenant ID] [--limit N]',
  'issue prints the new key (its secret shown this once, never stored) as JSON on stdout; list never shows',
  'secrets (all tenants in id order without --tenant, newest key first; --limit: per tenant).',
  `roles by tenant kind: ${Object.entries(RolesByTenantKind)
    .map(([kind, roles]) => `${kind}: ${roles.join('|')}`)
    .join('; ')}`,
  'TIME: RFC 3339 in the future, e.g. 2027-01-01T00:00:00Z; LABEL: 1-100 characters without control characters.',
  ...ACCESS_USAGE_END,
].join('\n');

/** RFC 3339 date-time with an explicit offset, as the admin API's `expiresAt` takes it. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 time that names a real instant: a month of 1-12, a day that month has, hours to 23, minutes and
 * seconds to 59 (as the admin API's date-time). `Date` would roll 2027-02-30 on to 2 March.
 */
function isCalendarTime(text: string): boolean {
  const m = RFC3339.exec(text);
  if (m === null) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59
  );
}

/** `key list` without --limit: every key (a tenant has a handful). */
const ALL = Number.MAX_SAFE_INTEGER;

/** `--expires-at` as a date, or a refusal: unparsable, or not in the future (the key could never work). */
function parseExpiry(text: string, now: Date): Date | CliError {
  const at = new Date(text);
  if (!isCalendarTime(text) || Number.isNaN(at.getTime()))
    return invalidValue('--expires-at must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z');
  if (!expiresInFuture(at, now))
    return new CliError(CliErrorCode.ExpiryPast, '--expires-at must be in the future');
  return at;
}

async function printKeys(pool: Pool, io: CommandIo, tenantId: string, limit: number): Promise<void> {
  for (const key of await listApiKeys(pool, tenantId, limit)) io.stdout(JSON.stringify(key));
}

/**
 * `modctl key ...`: operators issue, revoke and list API keys, including the first admin key of a fresh
 * installation (no API key is needed: whoever runs modctl holds the database). Values are checked against the
 * admin API's rules (tenant id, role for the tenant's kind, label, expiry in the future). The plaintext key is
 * printed once on stdout and nowhere else: the database keeps its SHA-256, the audit log its public prefix.
 * Every change is audited in its transaction as the operator (MODCTL_ACTOR) in role admin.
 */
export const keyCommand: Command = subcommandCommand({
  name: 'key',
  summary: 'issue, revoke and list API keys (the first admin key too)',
  usage: USAGE,
  options: stringOptions('tenant', 'role', 'label', 'expires-at', 'id', 'reason', 'limit'),
  check: ({ values: v, invalid }) =>
    v.tenant !== undefined && !satisfiesRule(TenantFieldRules.tenantId, v.tenant)
      ? invalid(invalidValue('--tenant must be a tenant id (a lowercase slug)'))
      : undefined,
  handlers: {
    issue: async ({ values: v, usage, invalid, print }) => {
      const by = operator('admin');
      if (!v.tenant || !isOneOf(Roles, v.role)) return usage();
      if (v.label !== undefined && !satisfiesRule(TenantFieldRules.credentialLabel, v.label))
        return invalid(invalidValue('--label must be 1-100 characters without control characters'));
      const expiresAt = v['expires-at'] === undefined ? null : parseExpiry(v['expires-at'], new Date());
      if (expiresAt instanceof CliError) return invalid(expiresAt);
      const { tenant: tenantId, role, label } = { tenant: v.tenant, role: v.role, label: v.label };
      const issued = await withPool((pool) =>
        withTransaction(pool, async (c) => {
          const tenant = await getTenant(c, tenantId);
          if (tenant === null) throw new CliError(CliErrorCode.UnknownTenant, `no tenant ${tenantId}`);
          if (!roleAllowedForTenant(tenant.kind, role))
            throw new CliError(
              CliErrorCode.RoleNotForTenant,
              `a ${tenant.kind} tenant's keys may not have role ${role} (${RolesByTenantKind[tenant.kind].join(', ')} may)`,
            );
          const key = await createApiKey(c, {
            tenantId,
            role,
            ...(label === undefined ? {} : { label }),
            expiresAt,
            createdBy: by.actor.id,
          });
          await appendAudit(c, {
            ...by,
            action: 'key.created',
            subject: { type: 'api_key', id: key.id },
            evidence: { tenantId, role, prefix: key.prefix, expiresAt: expiresAt?.toISOString() ?? null },
          });
          // The shape `POST /v1/admin/tenants/:tenantId/keys` answers with.
          return {
            id: key.id,
            tenantId,
            role,
            prefix: key.prefix,
            key: key.key,
            expiresAt: expiresAt?.toISOString() ?? null,
          };
        }),
      );
      return print(issued);
    },
    revoke: async ({ values: v, usage, invalid, print }) => {
      const by = operator('admin');
      if (!v.id || v.tenant !== undefined) return usage();
      if (!UUID.test(v.id)) return invalid(invalidValue('--id must be a key id (a UUID, from `key list`)'));
      const { id, reason } = { id: v.id, reason: v.reason };
      const key = await withPool((pool) =>
        withTransaction(pool, async (c) => {
          const revoked = await revokeApiKey(c, id, new Date());
          if (revoked === null) throw new CliError(CliErrorCode.UnknownKey, `no key ${id}`);
          // Revoking a revoked key changes nothing and is not audited again (as over the API).
          if (revoked.revokedNow) {
            await appendAudit(c, {
              ...by,
              action: 'key.revoked',
              subject: { type: 'api_key', id },
              reason: reason ?? null,
              evidence: { tenantId: revoked.key.tenantId, prefix: revoked.key.prefix },
            });
          }
          return revoked.key;
        }),
      );
      return print(key);
    },
    list: async ({ values: v, io, usage }) => {
      const limit = positiveInt(v.limit, ALL);
      if (limit === null) return usage();
      const only = v.tenant;
      await withPool(async (pool) => {
        if (only !== undefined) {
          if ((await getTenant(pool, only)) === null)
            throw new CliError(CliErrorCode.UnknownTenant, `no tenant ${only}`);
          return printKeys(pool, io, only, limit);
        }
        // Every tenant's keys, tenant by tenant in id order (bounded memory however many tenants).
        let after: string | undefined;
        for (;;) {
          const page = await listTenants(pool, { limit: 1000, ...(after === undefined ? {} : { after }) });
          for (const t of page) await printKeys(pool, io, t.id, limit);
          const last = page.at(-1);
          if (last === undefined) return;
          after = last.id;
        }
      });
      return 0;
    },
  },
});
