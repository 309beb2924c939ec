import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import {
  partnerAcls,
  partnerSuspension,
  partnerTopic,
  serviceAcls,
  type AclBinding,
  type AclOperation,
} from '@mod/contracts';
import { createTenant } from '@mod/db/access';
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
import { kafkaFromEnv } from './kafka.js';
import { db, useModctlDatabase } from './modctl-database.test-helper.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** Removes every binding `principal` holds (a run that died before its clean-up would have it refused as taken). */
async function clearPrincipal(kafka: Kafka, principal: string): Promise<void> {
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

/** Every message of an error and of the errors it wraps (the client reports a refusal inside an aggregate). */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors ?? [];
  return [err.message, ...nested.map(errorText)].join(' | ');
}

/** What the broker answers when it refuses a suspended principal. */
export const refused = /not authorized|authorization/i;

/**
 * The world of a test of partners' standing on the broker: modctl on a schema and a topic prefix of the file's own
 * (actor `ops`), a platform tenant `tenant` and the SCRAM user `principal` (made on this broker once, idempotent;
 * no ACLs at the start). Everything of the prefix and the principal is removed after the file's tests.
 */
export function usePartnerStanding(tenant: string, principal: string) {
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  useModctlDatabase({ actor: 'ops', topicPrefix: prefix });
  const inbound = partnerTopic(prefix, 'mediaSubmitted', tenant);
  let partner: Kafka;
  beforeAll(async () => {
    execFileSync('bash', [`${repo}deploy/local/kafka.sh`, 'principal', principal], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await clearPrincipal(kafkaFromEnv().kafka, principal);
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
        MOD_KAFKA_CREDENTIALS_DIR:
          process.env['MOD_KAFKA_CREDENTIALS_DIR'] ?? `${repo}.data/kafka-credentials`,
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
  return { prefix, produce };
}
