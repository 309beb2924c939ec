import { withTransaction } from '@mod/db';
import { RolesByTenantKind, satisfiesRule, TenantFieldRules } from '@mod/db/access';
import { appendAudit } from '@mod/db/audit';
import { createPerson, listPeople, PersonRoles, resetPersonPassword, revokeSessionsOf } from '@mod/db/people';
import {
  generateOneTimePassword,
  hashPassword,
  isValidDisplayName,
  isValidLogin,
  normaliseLogin,
} from '@mod/people';
import { positiveInt, stringOptions, subcommandCommand, type Command } from '../command.js';
import { CliError, CliErrorCode } from '../errors.js';
import { ACCESS_USAGE_END, UUID, invalidValue, isOneOf, operator, withPool } from './curator.js';

const USAGE = [
  `usage: modctl people add --tenant ID --login LOGIN --role ${PersonRoles.join('|')} --name NAME [--valid-hours N]`,
  '       modctl people reset --id PERSON_ID [--valid-hours N]',
  '       modctl people list [--tenant ID] [--limit N]',
  'add makes a staff account and prints it with a one-time password (shown this once, valid --valid-hours,',
  'default 72): the first sign-in must replace it and enrol an authenticator app (TOTP). reset issues a new one,',
  'removes the second factor and ends every session (e.g. for the last admin, who may not reset themselves).',
  `roles by tenant kind (people: ${PersonRoles.join(', ')}): ${Object.entries(RolesByTenantKind)
    .map(([kind, roles]) => `${kind}: ${roles.filter((r) => isOneOf(PersonRoles, r)).join('|') || '-'}`)
    .join('; ')}`,
  'LOGIN: 3-64 of a-z 0-9 . _ @ - (compared in lower case); NAME: 1-200 characters without control characters.',
  ...ACCESS_USAGE_END,
].join('\n');

/** A fresh one-time password valid `hours`: the text (printed once), its argon2id hash, when it stops. */
async function oneTimePassword(hours: number) {
  const text = generateOneTimePassword();
  return { text, hash: await hashPassword(text), expiresAt: new Date(Date.now() + hours * 3600_000) };
}

/**
 * `modctl people ...`: operators make staff accounts (people who sign in with a password and TOTP) with the admin
 * API's rules, reset one, or list them. The one-time password is printed once on stdout and nowhere else (the
 * database keeps its argon2id hash); the audit log names the person by id, never by login or name.
 */
export const peopleCommand: Command = subcommandCommand({
  name: 'people',
  summary: 'make staff accounts (one-time password), reset one, list them',
  usage: USAGE,
  options: stringOptions('tenant', 'login', 'role', 'name', 'id', 'valid-hours', 'limit'),
  check: ({ values: v, usage, invalid }) => {
    if (v.tenant !== undefined && !satisfiesRule(TenantFieldRules.tenantId, v.tenant))
      return invalid(invalidValue('--tenant must be a tenant id (a lowercase slug)'));
    const hours = positiveInt(v['valid-hours'], 72);
    if (hours === null || hours > 24 * 30) return usage('--valid-hours must be 1-720');
    return undefined;
  },
  handlers: {
    add: async ({ values: v, usage, invalid, print }) => {
      const by = operator('admin');
      if (!v.tenant || !v.login || !v.name || !isOneOf(PersonRoles, v.role)) return usage();
      const login = normaliseLogin(v.login);
      if (!isValidLogin(login)) return invalid(invalidValue('--login must be 3-64 of a-z 0-9 . _ @ -'));
      if (!isValidDisplayName(v.name))
        return invalid(invalidValue('--name must be 1-200 characters without control characters'));
      const otp = await oneTimePassword(positiveInt(v['valid-hours'], 72)!);
      const { tenant: tenantId, role, name } = { tenant: v.tenant, role: v.role, name: v.name.trim() };
      const person = await withPool((pool) =>
        withTransaction(pool, async (c) => {
          const made = await createPerson(c, {
            tenantId,
            login,
            displayName: name,
            role,
            passwordHash: otp.hash,
            passwordExpiresAt: otp.expiresAt,
            createdBy: by.actor.id,
          });
          if (!made.ok && made.reason === 'unknown-tenant')
            throw new CliError(CliErrorCode.UnknownTenant, `no tenant ${tenantId}`);
          if (!made.ok && made.reason === 'login-taken')
            throw new CliError(CliErrorCode.LoginTaken, `another person has the login ${login}`);
          if (!made.ok)
            throw new CliError(
              CliErrorCode.RoleNotForTenant,
              `this tenant's people may not have role ${role}`,
            );
          await appendAudit(c, {
            ...by,
            action: 'person.created',
            subject: { type: 'person', id: made.person.id },
            evidence: { tenantId, role },
          });
          return made.person;
        }),
      );
      return print({
        person,
        oneTimePassword: otp.text,
        oneTimePasswordExpiresAt: otp.expiresAt.toISOString(),
      });
    },
    reset: async ({ values: v, usage, invalid, print }) => {
      const by = operator('admin');
      if (!v.id || v.tenant !== undefined) return usage();
      if (!UUID.test(v.id))
        return invalid(invalidValue('--id must be a person id (a UUID, from `people list`)'));
      const id = v.id;
      const otp = await oneTimePassword(positiveInt(v['valid-hours'], 72)!);
      const answer = await withPool((pool) =>
        withTransaction(pool, async (c) => {
          const person = await resetPersonPassword(c, id, {
            passwordHash: otp.hash,
            expiresAt: otp.expiresAt,
          });
          if (person === null) throw new CliError(CliErrorCode.UnknownPerson, `no person ${id}`);
          const now = new Date();
          const sessionsEnded = await revokeSessionsOf(c, id, 'password-reset', now);
          await appendAudit(c, {
            ...by,
            action: 'person.password_reset',
            subject: { type: 'person', id },
            evidence: { tenantId: person.tenantId, role: person.role, sessionsEnded },
          });
          return { person, sessionsEnded };
        }),
      );
      return print({
        ...answer,
        oneTimePassword: otp.text,
        oneTimePasswordExpiresAt: otp.expiresAt.toISOString(),
      });
    },
    list: async ({ values: v, io, usage }) => {
      const limit = positiveInt(v.limit, 1000);
      if (limit === null) return usage();
      const tenantId = v.tenant;
      await withPool(async (pool) => {
        for (const p of await listPeople(pool, { limit, ...(tenantId === undefined ? {} : { tenantId }) }))
          io.stdout(JSON.stringify(p));
      });
      return 0;
    },
  },
});
