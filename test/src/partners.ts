import { randomUUID } from 'node:crypto';
import {
  MEDIA_META_HEADER,
  partnerAcls,
  partnerTopic,
  partnerTopicSpecs,
  type PartnerKind,
  type PartnerMediaMeta,
  type Verdict,
} from '@mod/contracts';
import { upsertTenant } from '@mod/db/access';
import {
  applyAcls,
  createKafka,
  createProducer,
  ensureTopics,
  removeAcls,
  type Kafka,
  type Producer,
} from '@mod/kafka';
import { credentialsFromEnvironment } from '@mod/testing';
import { json, read } from './topic-reads.js';
import { logger, type World } from './world.js';

/**
 * Publishes media straight to Kafka as a platform running Kafka would, on its own topic with the producer of
 * its own principal (a partner granted with `grantPartner`), and waits for its verdict.
 */
export async function scanViaKafka(world: World, partner: Partner, bytes: Buffer): Promise<Verdict> {
  const eventId = randomUUID();
  const submissionId = randomUUID();
  const meta: PartnerMediaMeta = { eventId, submissionId, submittedAt: new Date().toISOString() };
  await partner.producer.send({
    topic: partnerTopic(world.prefix, 'mediaSubmitted', partner.tenantId),
    messages: [{ key: submissionId, value: bytes, headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) } }],
  });
  const records = await read(world, world.topics.verdicts, (r) => r.some((m) => m.key === submissionId));
  return json<Verdict>(records.find((m) => m.key === submissionId)!);
}

/** A partner principal of the e2e run (`global-setup.ts`), bound to a tenant of this world. */
export interface Partner {
  principal: string;
  tenantId: string;
  kafka: Kafka;
  producer: Producer;
  close(): Promise<void>;
}

/** A platform tenant of this world that publishes media on its own topic, as `e2e-partner-a`. */
export async function kafkaPlatform(world: World, tenantId = 'platform-1'): Promise<Partner> {
  await world.ready;
  await upsertTenant(world.db, {
    id: tenantId,
    kind: 'platform',
    name: tenantId,
    subscribedToBlocking: false,
  });
  return grantPartner(world, 'e2e-partner-a', tenantId, 'platform');
}

/**
 * Grants a partner principal Kafka access as tenant `tenantId` of `kind` in this world (its topics and ACLs,
 * as `modctl kafka partner grant` does) and connects a producer under that principal.
 */
export async function grantPartner(
  world: World,
  principal: 'e2e-partner-a' | 'e2e-partner-b',
  tenantId: string,
  kind: PartnerKind,
): Promise<Partner> {
  await world.ready;
  await ensureTopics(world.kafka, partnerTopicSpecs(world.prefix, kind, tenantId), {
    replicationFactor: world.cluster.replicationFactor,
  });
  const acls = partnerAcls({ prefix: world.prefix, kind, tenantId, principal });
  await applyAcls(world.kafka, acls);
  const kafka = createKafka({
    brokers: world.cluster.brokers.split(','),
    clientId: principal,
    logger,
    credentials: credentialsFromEnvironment(principal, world.cluster.env),
  });
  const producer = await createProducer(kafka);
  return {
    principal,
    tenantId,
    kafka,
    producer,
    async close() {
      await producer.disconnect();
      await removeAcls(world.kafka, acls).catch(() => undefined);
    },
  };
}
