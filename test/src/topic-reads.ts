import { partnerTopic, partnerTopicSpec, tenantOfPartnerTopic } from '@mod/contracts';
import { ensureTopics, type ReadRecord } from '@mod/kafka';
import { readTopic } from '@mod/testing';
import type { World } from './world.js';

export async function read(
  world: World,
  topic: string,
  until: (r: readonly ReadRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadRecord[]> {
  await world.ready;
  return readTopic(world.kafka, topic, until, timeoutMs);
}

/**
 * Reads the outbound topics of `base` (requests, order events) of several partners at once, until `until` holds;
 * each record says whose topic it came from (`tenantId`). The topics are created first if the actioner has not yet.
 */
export async function readPartners(
  world: World,
  base: 'blockingRequests' | 'takedownRequests' | 'orderEvents',
  tenants: readonly string[],
  until: (r: readonly (ReadRecord & { tenantId: string })[]) => boolean,
  timeoutMs = 60_000,
): Promise<(ReadRecord & { tenantId: string })[]> {
  await world.ready;
  await ensureTopics(
    world.kafka,
    tenants.map((t) => partnerTopicSpec(world.prefix, base, t)),
  );
  const tagged = (records: readonly ReadRecord[]) =>
    records.map((r) => ({ ...r, tenantId: tenantOfPartnerTopic(world.prefix, base, r.topic) ?? '' }));
  const topics = tenants.map((t) => partnerTopic(world.prefix, base, t));
  return tagged(await readTopic(world.kafka, topics, (r) => until(tagged(r)), timeoutMs));
}

export function json<T>(r: ReadRecord): T {
  return JSON.parse(r.value?.toString('utf8') ?? 'null') as T;
}
