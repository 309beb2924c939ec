import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  partnerAcls,
  partnerSuspension,
  partnerTopic,
  serviceAcls,
  type AclBinding,
  type AclOperation,
} from '@mod/contracts';
import { createTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import {
  aclResourcesOf,
  createKafka,
  createProducer,
  deleteTopics,
  listTopics,
  removeAcls,
  removeUserQuotas,
  type Kafka,
} from '@mod/kafka';
import { createLogger } from '@mod/telemetry';
import { credentialsFromEnvironment } from '@mod/testing';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { db, json, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';
import { tenantCommand } from './tenant.js';

// A disabled tenant loses its power on the broker: `modctl kafka standing` suspends its partner principal (the
// broker refuses its produce) and lifts the suspension once it is enabled again; against the real broker, with a
// partner principal (SCRAM user) of this file's own, on topics of this file's own prefix.
const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
useModctlDatabase({ actor: 'ops', topicPrefix: prefix });
const tenant = 'platform-standing';
const principal = 'modctl-standing-partner';
const inbound = partnerTopic(prefix, 'mediaSubmitted', tenant);
const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** Removes every binding `principal` holds (a run that died before its clean-up would have it refused as taken). */
async function clearPrincipal(kafka: Kafka): Promise<void> {
  const operations: AclOperation[] = ['read', 'write', 'create', 'describe', 'describe-configs', 'delete'];
  const bindings: AclBinding[] = (await aclResourcesOf(kafka, `User:${principal}`)).flatMap((r) =>
    r.resourceType === 'other' || r.patternType === 'other'
      ? []
      : operations.flatMap((operation) =>
          (['allow', 'deny'] as const).map((permission) => ({
            resourceType: r.resourceType as AclBinding['resourceType'],
            patternType: r.patternType as AclBinding['patternType'],
            name: r.name,
            principal: `User:${principal}`,
            operation,
            permission,
          })),
        ),
  );
  await removeAcls(kafka, bindings);
}

let partner: Kafka;
beforeAll(async () => {
  // The SCRAM user, made once on this broker (idempotent), and its credentials file.
  execFileSync('bash', [`${repo}deploy/local/kafka.sh`, 'principal', principal], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await clearPrincipal(kafkaFromEnv().kafka);
  await createTenant(db.pool, {
    id: tenant,
    kind: 'platform',
    name: 'Standing',
    subscribedToBlocking: false,
  });
  partner = createKafka({
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    clientId: principal,
    logger: createLogger('partner', 'silent'),
    // A refusal is final: no need to ask again.
    retries: 1,
    credentials: credentialsFromEnvironment(principal, {
      ...process.env,
      MOD_KAFKA_CREDENTIALS_DIR: process.env['MOD_KAFKA_CREDENTIALS_DIR'] ?? `${repo}.data/kafka-credentials`,
    }),
  });
}, 60_000);
afterAll(async () => {
  const { kafka } = kafkaFromEnv();
  await deleteTopics(kafka, await listTopics(kafka, (t) => t.startsWith(prefix)));
  const owned = { prefix, kind: 'platform' as const, tenantId: tenant, principal };
  await removeAcls(kafka, [...partnerAcls(owned), ...partnerSuspension(owned), ...serviceAcls({ prefix })]);
  await removeUserQuotas(kafka, principal);
});

/** Sends one message as the partner to its inbound topic: null when the broker took it, else its refusal. */
async function produce(): Promise<string | null> {
  const producer = await createProducer(partner);
  try {
    await producer.send({ topic: inbound, messages: [{ key: 'k', value: Buffer.from('media') }] });
    return null;
  } catch (err) {
    return errorText(err);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Every message of an error and of the errors it wraps (the client reports a refusal inside an aggregate). */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors ?? [];
  return [err.message, ...nested.map(errorText)].join(' | ');
}

const standing = async () =>
  json<{ changes: unknown[] }>((await runExpecting(kafkaCommand, ['standing'], 0)).out[0]);
const actions = async () =>
  (await listAudit(db.pool)).filter((r) => r.subject.id === tenant).map((r) => r.action);
const refused = /not authorized|authorization/i;

describe('modctl kafka standing', () => {
  it("suspends a disabled tenant's partner principal on the broker, and restores it when the tenant is enabled", async () => {
    await runExpecting(kafkaCommand, ['partner', 'grant', '--tenant', tenant, '--principal', principal], 0);
    expect(await produce()).toBeNull();
    // In standing: nothing to change.
    expect((await standing()).changes).toEqual([]);

    await runExpecting(tenantCommand, ['disable', '--id', tenant], 0);
    expect((await standing()).changes).toEqual([{ tenant, principal, change: 'suspended' }]);
    expect(await produce()).toMatch(refused);
    // Idempotent, and an install or upgrade (setup) never gives the disabled tenant its access back.
    expect((await standing()).changes).toEqual([]);
    await runExpecting(kafkaCommand, ['setup'], 0);
    expect(await produce()).toMatch(refused);

    await runExpecting(tenantCommand, ['enable', '--id', tenant], 0);
    expect((await standing()).changes).toEqual([{ tenant, principal, change: 'restored' }]);
    expect(await produce()).toBeNull();
    expect(await actions()).toEqual([
      'kafka.partner.granted',
      'tenant.changed',
      'kafka.partner.suspended',
      'tenant.changed',
      'kafka.partner.restored',
    ]);
  });

  it("revoking a suspended partner's access removes its suspension with it", async () => {
    await runExpecting(tenantCommand, ['disable', '--id', tenant], 0);
    await standing();
    await runExpecting(kafkaCommand, ['partner', 'revoke', '--tenant', tenant, '--principal', principal], 0);
    expect(await aclResourcesOf(kafkaFromEnv().kafka, `User:${principal}`)).toEqual([]);
  });
});
