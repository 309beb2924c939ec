import { withTransaction, type PoolClient } from '@mod/db';
import {
  createTenant,
  listTenants,
  satisfiesRule,
  TenantFieldRules,
  TenantKinds,
  updateTenant,
  type StoredTenant,
} from '@mod/db/access';
import { appendAudit } from '@mod/db/audit';
import {
  positiveInt,
  printPages,
  stringOptions,
  subcommandCommand,
  type Command,
  type SubcommandContext,
} from '../command.js';
import { CliError, CliErrorCode } from '../errors.js';
import { ACCESS_USAGE_END, invalidValue, isOneOf, operator, withPool } from './curator.js';

const USAGE = [
  `usage: modctl tenant create --id ID --kind ${TenantKinds.join('|')} --name NAME`,
  '                            [--subscribed-to-blocking true|false]',
  '       modctl tenant list [--limit N] [--after ID]',
  '       modctl tenant settings --id ID [--name NAME] [--subscribed-to-blocking true|false]',
  '       modctl tenant disable|enable --id ID',
  'ID: a lowercase slug (a-z, 0-9 and -, at most 63); NAME: 1-200 characters without control characters.',
  '--subscribed-to-blocking true: an ISP that receives a blocking request for every automatic match.',
  "disable: none of the tenant's keys, certificates or people authenticate any more, and its people's sessions end",
  '(enable undoes the rest: its people sign in again); the workers',
  'dead-letter its events at once (MOD_ERR_TENANT_DISABLED), and `modctl kafka standing` suspends its partner',
  'principal on the broker (run after disable and enable, or `kafka standing --watch` always running: it applies',
  'each change as soon as it reads it; enable then standing restores its access).',
  'On an empty database: `tenant create --id ops --kind admin --name Operations`, then',
  '`modctl key issue --tenant ops --role admin` gives the first admin key.',
  ...ACCESS_USAGE_END,
].join('\n');

const BOOLEAN_WORDS = { true: true, false: false } as const;

const OPTIONS = stringOptions('id', 'kind', 'name', 'subscribed-to-blocking', 'limit', 'after');
type TenantOptions = typeof OPTIONS;

/** `--subscribed-to-blocking` as a boolean (its word is checked before any sub-command runs). */
function blockingSubscription(word: string | undefined): boolean | undefined {
  return word === undefined ? undefined : BOOLEAN_WORDS[word as keyof typeof BOOLEAN_WORDS];
}

/** A value that breaks its field's rule, or null. The same rules the admin API's schemas are built from. */
function invalidField(field: 'id' | 'name', value: string): CliError | null {
  if (field === 'id' && !satisfiesRule(TenantFieldRules.tenantId, value))
    return invalidValue('--id must be a lowercase slug (a-z, 0-9 and -, at most 63)');
  if (field === 'name' && !satisfiesRule(TenantFieldRules.tenantName, value))
    return invalidValue('--name must be 1-200 characters without control characters');
  return null;
}

/** Changes a tenant and audits the change in one transaction, as `PATCH /v1/admin/tenants/:id` does. */
async function changeTenant(
  c: PoolClient,
  id: string,
  change: { name?: string; subscribedToBlocking?: boolean; disabled?: boolean },
): Promise<StoredTenant> {
  const changed = await updateTenant(c, id, change, new Date());
  if (changed === null) throw new CliError(CliErrorCode.UnknownTenant, `no tenant ${id}`);
  await appendAudit(c, {
    ...operator('admin'),
    action: 'tenant.changed',
    subject: { type: 'tenant', id },
    evidence: {
      change: { ...change },
      ...(changed.sessionsEnded > 0 ? { sessionsEnded: changed.sessionsEnded } : {}),
    },
  });
  return changed.after;
}

/**
 * `modctl tenant ...`: operators' tenant administration, so a fresh installation needs neither the demo seed
 * nor SQL: create (never overwrites), list in id order, change the name or blocking subscription, switch off
 * and on. Values are checked against the admin API's rules; every change is audited in its transaction as the
 * operator (MODCTL_ACTOR) in role admin.
 */
export const tenantCommand: Command = subcommandCommand({
  name: 'tenant',
  summary: 'create, list, change, disable and enable tenants',
  usage: USAGE,
  options: OPTIONS,
  check: ({ values: v, usage }) => {
    const subscribed = v['subscribed-to-blocking'];
    if (subscribed !== undefined && !isOneOf(['true', 'false'] as const, subscribed)) return usage();
    return undefined;
  },
  handlers: {
    create: async ({ values: v, usage, invalid, print }) => {
      if (!v.id || !isOneOf(TenantKinds, v.kind) || v.name === undefined) return usage();
      const bad = invalidField('id', v.id) ?? invalidField('name', v.name);
      if (bad !== null) return invalid(bad);
      const tenant = {
        id: v.id,
        kind: v.kind,
        name: v.name,
        subscribedToBlocking: blockingSubscription(v['subscribed-to-blocking']) ?? false,
      };
      const created = await withPool((pool) =>
        withTransaction(pool, async (c) => {
          const t = await createTenant(c, tenant);
          if (t === null) throw new CliError(CliErrorCode.TenantExists, `a tenant ${tenant.id} exists`);
          await appendAudit(c, {
            ...operator('admin'),
            action: 'tenant.created',
            subject: { type: 'tenant', id: t.id },
            evidence: { kind: t.kind, subscribedToBlocking: t.subscribedToBlocking },
          });
          return t;
        }),
      );
      return print(created);
    },
    list: async ({ values: v, io, usage, invalid }) => {
      const limit = positiveInt(v.limit, Infinity);
      if (limit === null) return usage();
      if (v.after !== undefined) {
        const bad = invalidField('id', v.after);
        if (bad !== null) return invalid(bad);
      }
      // In id order; one JSON tenant per line.
      await withPool((pool) =>
        printPages(io, limit, v.after, (after, pageLimit) =>
          listTenants(pool, { limit: pageLimit, ...(after === undefined ? {} : { after }) }),
        ),
      );
      return 0;
    },
    settings: changeTenantCommand,
    disable: changeTenantCommand,
    enable: changeTenantCommand,
  },
});

/** `settings`, `disable` and `enable`: one change of one tenant, audited. */
async function changeTenantCommand({
  sub,
  values: v,
  usage,
  invalid,
  print,
}: SubcommandContext<TenantOptions>): Promise<number> {
  // A tenant's kind never changes: its keys' roles were checked against it.
  if (!v.id || v.kind !== undefined) return usage();
  const subscribed = v['subscribed-to-blocking'];
  const subscribedToBlocking = blockingSubscription(subscribed);
  const change =
    sub === 'settings'
      ? {
          ...(v.name === undefined ? {} : { name: v.name }),
          ...(subscribedToBlocking === undefined ? {} : { subscribedToBlocking }),
        }
      : { disabled: sub === 'disable' };
  if (Object.keys(change).length === 0) return usage();
  if (sub !== 'settings' && (v.name !== undefined || subscribed !== undefined)) return usage();
  const bad = invalidField('id', v.id) ?? (v.name === undefined ? null : invalidField('name', v.name));
  if (bad !== null) return invalid(bad);
  const id = v.id;
  const tenant = await withPool((pool) => withTransaction(pool, (c) => changeTenant(c, id, change)));
  return print(tenant);
}
