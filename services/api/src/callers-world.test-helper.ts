import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Role, TenantKind } from '@mod/db/access';
import type { AppDeps } from './app.js';
import type { AccessFixtureContext } from './authz-matrix.test-helper.js';
import { seedBoundReviewer, type BoundReviewerFixtures } from './bound-reviewer-testing.test-helper.js';
import { seedMatrixPeople } from './people-testing.test-helper.js';
import {
  callAs,
  createApiTestWorld,
  seedAccessFixtures,
  seedCallers,
  type ApiTestWorld,
  type Callers,
  type Side,
} from './testing.test-helper.js';

/**
 * Who the API's tests act as, each a tenant and role: the callers of the order tests (three authorities, two
 * platforms, an ISP, a reviewer and an admin), with keys (`castCallers`); and the people of the case tests
 * (reviewers, a curator, the admin, two authority officers), signed in (`useReviewWorld`).
 */
export const CAST = {
  authA: ['auth-a', 'authority'],
  authB: ['auth-b', 'authority'],
  authC: ['auth-c', 'authority'],
  platA: ['plat-a', 'platform'],
  platB: ['plat-b', 'platform'],
  ispA: ['isp-a', 'isp'],
  reviewer: ['hotline-1', 'reviewer'],
  admin: ['ops', 'admin'],
  ana: ['hotline-1', 'reviewer'],
  bao: ['hotline-1', 'reviewer'],
  cam: ['hotline-1', 'reviewer'],
  dao: ['hotline-1', 'reviewer'],
  curator: ['hotline-1', 'curator'],
  officer1: ['auth-1', 'authority'],
  officer2: ['auth-2', 'authority'],
} as const satisfies Callers<string>;

/** A member of the tests' cast. */
export type CastMember = keyof typeof CAST;

/** The callers `names` of the cast (`CAST`), for `useCallersWorld`. */
export const castCallers = <K extends CastMember>(...names: K[]): Callers<K> =>
  Object.fromEntries(names.map((name) => [name, CAST[name]])) as Record<K, (typeof CAST)[K]>;

/** A test file's world, its app and its callers' keys, readable once the file's `beforeAll` hooks have run. */
export interface CallersWorld<K extends string> {
  readonly world: ApiTestWorld;
  readonly app: FastifyInstance;
  readonly keys: Record<K, string>;
  /** The world's database (its schema's pool). */
  readonly db: ApiTestWorld['db']['pool'];
  /** A request to the app as the holder of `key` (`callAs`). */
  call(
    key: string,
    method: Parameters<typeof callAs>[2],
    url: string,
    payload?: unknown,
  ): Promise<LightMyRequestResponse>;
}

/**
 * The set-up most of this package's test files share: before the file's tests, a world with its app built
 * (`build`: what to build it with) and a key for each caller (`seedCallers`, `tenants` made first); after them,
 * the world closed. A file adds its own fixtures in a `beforeAll` of its own after this call (hooks run in the
 * order they are registered). Reading the handle before the world is made throws.
 */
export function useCallersWorld<K extends string = never>(
  callers: Callers<K> = {} as Callers<K>,
  options: {
    tenants?: Readonly<Record<string, TenantKind>>;
    /** What to build the app with, or a function of the world that answers it (for the world's own vault). */
    build?: Partial<AppDeps> | ((world: ApiTestWorld) => Partial<AppDeps>);
  } = {},
): CallersWorld<K> {
  let made: Pick<CallersWorld<K>, 'world' | 'app' | 'keys'> | undefined;
  let world: ApiTestWorld | undefined;
  beforeAll(async () => {
    world = await createApiTestWorld();
    const app = await world.build(typeof options.build === 'function' ? options.build(world) : options.build);
    made = { world, app, keys: await seedCallers(world, callers, options.tenants) };
  });
  afterAll(async () => world?.close());
  const ready = (): Pick<CallersWorld<K>, 'world' | 'app' | 'keys'> => {
    if (made === undefined)
      throw new Error('the test world is made in beforeAll: read it in a hook or a test');
    return made;
  };
  return {
    get world() {
      return ready().world;
    },
    get app() {
      return ready().app;
    },
    get keys() {
      return ready().keys;
    },
    get db() {
      return ready().world.db.pool;
    },
    call: (key, method, url, payload) => callAs(ready().app, key, method, url, payload),
  };
}

/** Runs `fn` on a world of its own (a fresh schema, so nothing of the file's world mixes in), closed after. */
export async function inOwnWorld<T>(fn: (world: ApiTestWorld) => Promise<T>): Promise<T> {
  const world = await createApiTestWorld();
  try {
    return await fn(world);
  } finally {
    await world.close();
  }
}

/** The authorization matrix's fixtures: every role's caller key and both sides' records, and the people. */
export interface MatrixFixtures {
  callerKeys: Record<Role, string>;
  sides: Record<Role, Record<Side, AccessFixtureContext>>;
  people: Awaited<ReturnType<typeof seedMatrixPeople>>;
  /** A reviewer of an authority tenant, bound to its tenant's cases, and its sides. */
  bound: BoundReviewerFixtures;
}

/**
 * A world of its own (`useCallersWorld`, no callers) with the authorization matrix's fixtures made before the
 * file's tests: `seedAccessFixtures`, then `seedMatrixPeople` and `seedBoundReviewer`. Reading `fixtures` before
 * they are made throws.
 */
export function useMatrixWorld(): { readonly api: CallersWorld<never>; readonly fixtures: MatrixFixtures } {
  const api = useCallersWorld();
  let made: MatrixFixtures | undefined;
  beforeAll(async () => {
    const { callerKeys, sides } = await seedAccessFixtures(api.world);
    const people = await seedMatrixPeople(api.db);
    made = { callerKeys, sides, people, bound: await seedBoundReviewer(api.world, sides.authority) };
  });
  return {
    api,
    get fixtures() {
      if (made === undefined) throw new Error('the matrix fixtures are made in beforeAll');
      return made;
    },
  };
}
