import { afterAll, beforeAll } from 'vitest';
import { tenantWithKey } from '@mod/testing';
import { listenOnLoopback } from './api-app.js';
import { kafkaPlatform, type Partner } from './partners.js';
import { startPipeline, type Pipeline } from './pipeline-harness.js';
import { stopInOrder } from './waiting.js';
import { createWorld, type World } from './world.js';

/**
 * The set-up many e2e files share: the file's own world, with the pipeline running in this process
 * (`usePipelineWorld`), or with a platform publishing media on its own Kafka topic and the pipeline if asked
 * (`usePlatformWorld`). The bindings below are the file's (each test file runs in its own module graph); a file
 * adds its own tenants, banks and servers in a `beforeAll` of its own after these, and stops them in an `afterAll`
 * (which runs before this one's).
 */

export let world: World;
/** Granted only by `usePlatformWorld`. */
export let partner: Partner;
/** Started by `usePipelineWorld`, and by `usePlatformWorld` when given `pipeline`. */
export let pipeline: Pipeline;

interface PipelineSettings {
  env?: Record<string, string>;
  /** Starts the classifier stage too (loading its models costs seconds). */
  classifier?: boolean;
}

function useWorld(o: { partner?: (world: World) => Promise<Partner>; pipeline?: PipelineSettings }): void {
  let granted: Partner | undefined;
  let started: Pipeline | undefined;
  beforeAll(async () => {
    world = createWorld();
    await world.ready;
    if (o.partner !== undefined) {
      granted = await o.partner(world);
      partner = granted;
    }
    if (o.pipeline !== undefined) {
      started = await startPipeline(world, o.pipeline.env, { classifier: o.pipeline.classifier ?? false });
      pipeline = started;
    }
  });
  afterAll(() =>
    stopInOrder([
      ['pipeline', () => started?.stop()],
      ['partner', () => granted?.close()],
      ['world', () => world?.drop()],
    ]),
  );
}

/**
 * The world and the pipeline (with `env` on top of the world's settings, and the classifier stage with
 * `classifier`), before the file's tests and after.
 */
export function usePipelineWorld(env: Record<string, string> = {}, o: { classifier?: boolean } = {}): void {
  useWorld({ pipeline: { env, ...o } });
}

/**
 * The world and a platform on Kafka (default: `kafkaPlatform`, the platform `platform-1` as `e2e-partner-a`;
 * `partner` grants another), and the pipeline when given `pipeline`, before the file's tests and after.
 */
export function usePlatformWorld(
  o: { partner?: (world: World) => Promise<Partner>; pipeline?: PipelineSettings } = {},
): void {
  useWorld({
    partner: o.partner ?? kafkaPlatform,
    ...(o.pipeline === undefined ? {} : { pipeline: o.pipeline }),
  });
}

/** A file's world and pipeline with the API listening on loopback (real HTTP), and an admin's API key. */
export interface ApiScene {
  world: World;
  pipeline: Pipeline;
  /** The API on loopback, `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** The API key of the admin tenant `ops`. */
  adminKey: string;
}

/**
 * Makes the admin tenant `ops` with an API key and opens the pipeline's API on loopback: for a scene's own
 * `beforeAll`, after the world's (`usePipelineWorld`, or `usePlatformWorld` with a pipeline).
 */
export async function openApi(): Promise<ApiScene> {
  const adminKey = await tenantWithKey(world.db, { id: 'ops', kind: 'admin', role: 'admin' });
  return { world, pipeline, baseUrl: await listenOnLoopback(pipeline.app), adminKey };
}
