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
import {
  applyAcls,
  createKafka,
  createProducer,
  ensureTopics,
  removeAcls,
  type Kafka,
  type OutgoingMessage,
  type Producer,
} from '@mod/kafka';
import { credentialsFromEnvironment, seedTenants } from '@mod/testing';
import { json, read } from './topic-reads.js';
import { logger, type World } from './world.js';

/**
 * A media message as a platform running Kafka sends it, and its submission id: a new event id, a new submission
 * id (also the record's key) and the submission time, in the media header; `meta` adds to them or replaces them.
 */
export function partnerMediaMessage(
  bytes: Buffer,
  meta: Partial<PartnerMediaMeta> = {},
): { submissionId: string; message: OutgoingMessage } {
  const full: PartnerMediaMeta = {
    eventId: randomUUID(),
    submissionId: randomUUID(),
    submittedAt: new Date().toISOString(),
    ...meta,
  };
  const submissionId = full.submissionId ?? '';
  return {
    submissionId,
    message: { key: submissionId, value: bytes, headers: { [MEDIA_META_HEADER]: JSON.stringify(full) } },
  };
}

/** Publishes `bytes` on the partner's own media topic (`partnerMediaMessage`); returns the submission id. */
export async function publishPartnerMedia(
  world: World,
  partner: Partner,
  bytes: Buffer,
  meta: Partial<PartnerMediaMeta> = {},
): Promise<string> {
  const { submissionId, message } = partnerMediaMessage(bytes, meta);
  await partner.producer.send({
    topic: partnerTopic(world.prefix, 'mediaSubmitted', partner.tenantId),
    messages: [message],
  });
  return submissionId;
}

/**
 * Publishes media straight to Kafka as a platform running Kafka would, on its own topic with the producer of
 * its own principal (a partner granted with `grantPartner`), and waits for its verdict.
 */
export async function scanViaKafka(world: World, partner: Partner, bytes: Buffer): Promise<Verdict> {
  const submissionId = await publishPartnerMedia(world, partner, bytes);
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
  await seedTenants(world.db, [{ id: tenantId, kind: 'platform' }]);
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
