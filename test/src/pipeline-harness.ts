import type { FastifyInstance } from 'fastify';
import { actionerSpec, createActionerService, type ActionerService } from '@mod/actioner';
import { apiSpec, createApiService, type ApiService } from '@mod/api';
import { classifierSpec, createClassifierService, type ClassifierService } from '@mod/classifier-service';
import { loadConfig } from '@mod/config';
import type { SignalType } from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { createScannerService, scannerSpec, type ScannerService } from '@mod/scanner';
import { createRegistry, type Registry, type Tracing } from '@mod/telemetry';
import { seedTenants, tenantWithKey } from '@mod/testing';
import { makePhoto } from './test-media.js';
import { waitFor } from './waiting.js';
import { logger, serviceEnv, type World } from './world.js';

export interface Pipeline {
  app: FastifyInstance;
  scanner: ScannerService;
  /** Present when the pipeline was started with `{ classifier: true }`. */
  classifier?: ClassifierService;
  actioner: ActionerService;
  api: ApiService;
  registries: { scanner: Registry; classifier: Registry; actioner: Registry; api: Registry };
  stop(): Promise<void>;
}

type PipelineRole = 'api' | 'scanner' | 'classifier' | 'actioner';

/**
 * Starts api, scanner and actioner (and the classifier stage with `{ classifier: true }`: loading its models costs
 * seconds, and only tests about classification need it) in this process against real Kafka and Postgres.
 */
export async function startPipeline(
  world: World,
  overrides: Record<string, string> = {},
  options: { tracing?: Partial<Record<PipelineRole, Tracing>>; classifier?: boolean } = {},
): Promise<Pipeline> {
  const tracing = (role: PipelineRole) => {
    const t = options.tracing?.[role];
    return t === undefined ? {} : { tracing: t };
  };
  await world.ready;
  const registries = {
    scanner: createRegistry('scanner'),
    classifier: createRegistry('classifier'),
    actioner: createRegistry('actioner'),
    api: createRegistry('api'),
  };
  const api = createApiService(
    loadConfig(apiSpec, serviceEnv(world, 'api', overrides)),
    logger.child({ service: 'api' }),
    registries.api,
    tracing('api'),
  );
  const app = await api.start();
  const scanner = createScannerService(
    loadConfig(scannerSpec, serviceEnv(world, 'scanner', overrides)),
    logger.child({ service: 'scanner' }),
    registries.scanner,
    tracing('scanner'),
  );
  const actioner = createActionerService(
    loadConfig(actionerSpec, serviceEnv(world, 'actioner', overrides)),
    logger.child({ service: 'actioner' }),
    registries.actioner,
    tracing('actioner'),
  );
  const classifier = options.classifier
    ? createClassifierService(
        loadConfig(classifierSpec, serviceEnv(world, 'classifier', overrides)),
        logger.child({ service: 'classifier' }),
        registries.classifier,
        tracing('classifier'),
      )
    : undefined;
  await Promise.all([scanner.start(), actioner.start(), classifier?.start()]);
  return {
    app,
    scanner,
    ...(classifier === undefined ? {} : { classifier }),
    actioner,
    api,
    registries,
    async stop() {
      await Promise.all([scanner.stop(), actioner.stop(), classifier?.stop()]);
      await api.stop();
    },
  };
}

/**
 * The common scene of pipeline tests: ISP tenants subscribed to blocking, a platform `platform-1` with an API
 * key, and an automatic bank holding the blockhash of a known photo, applied by the scanner.
 */
export async function seedKnownImage(
  world: World,
  pipeline: Pipeline,
  o: { seed: number; isps: readonly string[] },
): Promise<{ known: Buffer; platformKey: string }> {
  await seedTenants(
    world.db,
    o.isps.map((id) => ({ id, kind: 'isp' })),
  );
  const platformKey = await tenantWithKey(world.db, { id: 'platform-1', kind: 'platform', role: 'platform' });
  const known = await makePhoto(o.seed);
  await bankKnownPhoto(world, pipeline, known);
  return { known, platformKey };
}

/**
 * An automatic bank `known-abuse` (of `signalTypes`) holding the blockhash of `photo` in category A, applied by
 * the scanner before this returns: a re-encoded copy of the photo matches it only by its perceptual hash.
 */
export async function bankKnownPhoto(
  world: World,
  pipeline: Pipeline,
  photo: Buffer,
  signalTypes: SignalType[] = ['blockhash'],
): Promise<void> {
  const changes = world.topics.bankChanges;
  const { bank } = await createBank(
    world.db,
    { name: 'known-abuse', source: 'e2e', signalTypes, actionPolicy: 'automatic' },
    changes,
  );
  const { blockhash } = await hashMedia(photo);
  await addEntries(world.db, bank.id, [{ signal: 'blockhash', value: blockhash, category: 'A' }], changes);
  await waitFor('the scanner to apply the bank', async () => indexedEntries(pipeline) === 1);
}

/**
 * A bank `name` of `actionPolicy` listing the PDQ of `picture` as a frame of a `size` animation (as a curator lists a
 * frame: `modctl hash` prints each frame's), in `category` when given; answers the bank's id. The scanner applies it
 * in its own time: wait for `indexedEntries`.
 */
export async function bankFramePicture(
  world: World,
  picture: Buffer,
  o: {
    name: string;
    actionPolicy: 'automatic' | 'review';
    size: { width: number; height: number };
    category?: string;
  },
): Promise<string> {
  const pdq = (await hashMedia(await animationOf([picture], { format: 'gif', ...o.size }))).pdq;
  const changes = world.topics.bankChanges;
  const { bank } = await createBank(
    world.db,
    { name: o.name, source: 'e2e', signalTypes: ['pdq'], actionPolicy: o.actionPolicy },
    changes,
  );
  const entry = {
    signal: 'pdq' as const,
    value: pdq,
    ...(o.category === undefined ? {} : { category: o.category }),
  };
  await addEntries(world.db, bank.id, [entry], changes);
  return bank.id;
}

/** Entries in the scanner's in-memory bank index. */
export function indexedEntries(pipeline: Pipeline): number {
  return Object.values(pipeline.scanner.banks.matcher().stats().entries).reduce((a, b) => a + b, 0);
}
