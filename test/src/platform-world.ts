import { afterAll, beforeAll } from 'vitest';
import { kafkaPlatform, type Partner } from './partners.js';
import { startPipeline, type Pipeline } from './pipeline-harness.js';
import { stopInOrder } from './waiting.js';
import { createWorld, type World } from './world.js';

/**
 * The set-up many e2e files share: the file's own world, a platform publishing media on its own Kafka topic
 * (`platform-1` as `e2e-partner-a`, unless `partner` grants another), and with `pipeline` the pipeline running in
 * this process. The bindings below are the file's (each test file runs in its own module graph); a file adds its
 * own tenants and banks in a `beforeAll` of its own, after `usePlatformWorld()`.
 */

export let world: World;
export let partner: Partner;
/** Started only when `usePlatformWorld` was given `pipeline`. */
export let pipeline: Pipeline;

export interface PlatformWorldOptions {
  /** Grants the partner (default: `kafkaPlatform`, the platform `platform-1`). */
  partner?: (world: World) => Promise<Partner>;
  /** Starts the pipeline with these settings (and the classifier stage with `classifier`). */
  pipeline?: { env?: Record<string, string>; classifier?: boolean };
}

/** Sets the world up before the file's tests (`beforeAll`) and takes it down after them (`afterAll`). */
export function usePlatformWorld(o: PlatformWorldOptions = {}): void {
  let started: Pipeline | undefined;
  beforeAll(async () => {
    world = createWorld();
    await world.ready;
    partner = await (o.partner ?? kafkaPlatform)(world);
    if (o.pipeline !== undefined) {
      started = await startPipeline(world, o.pipeline.env, { classifier: o.pipeline.classifier ?? false });
      pipeline = started;
    }
  });
  afterAll(() =>
    stopInOrder([
      ['pipeline', () => started?.stop()],
      ['partner', () => partner?.close()],
      ['world', () => world?.drop()],
    ]),
  );
}
