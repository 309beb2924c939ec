import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Roles, type Role } from '@mod/db/access';
import { routesOf } from './app.js';
import { AUTHZ_MATRIX, type MatrixEntry, type SampleContext, type SampleRequest } from './authz-matrix.js';
import { createApiTestWorld, seedAccessFixtures, send, type ApiTestWorld, type Side } from './testing.js';

type Caller = Role | 'anonymous';
type Outcome = 'ok' | 'visible' | 'hidden' | 'unauthenticated' | 'forbidden' | `unexpected ${number}`;

let world: ApiTestWorld;
let app: FastifyInstance;
let callerKeys: Record<Role, string>;
let sides: Record<Role, Record<Side, Omit<SampleContext, 'unique'>>>;

beforeAll(async () => {
  world = await createApiTestWorld();
  app = await world.build();
  ({ callerKeys, sides } = await seedAccessFixtures(world));
});
afterAll(async () => world?.close());

function expected(entry: MatrixEntry, caller: Caller, side: Side): Outcome {
  if (entry.roles === 'public') return 'ok';
  if (caller === 'anonymous') return 'unauthenticated';
  if (!entry.roles.includes(caller)) return 'forbidden';
  if (entry.tenant === 'none' || entry.shows === undefined) return 'ok';
  return side === 'own' || entry.crossTenant?.includes(caller) === true ? 'visible' : 'hidden';
}

function observed(entry: MatrixEntry, ctx: SampleContext, res: LightMyRequestResponse): Outcome {
  if (res.statusCode === 401) return 'unauthenticated';
  if (res.statusCode === 403) return 'forbidden';
  if (
    res.statusCode === 404 &&
    res.json<{ error: { code: string } }>().error.code === 'MOD_ERR_API_NOT_FOUND'
  )
    return 'hidden';
  if (res.statusCode >= 200 && res.statusCode < 300) {
    if (entry.roles === 'public' || entry.tenant === 'none' || entry.shows === undefined) return 'ok';
    return res.body.includes(entry.shows(ctx)) ? 'visible' : 'hidden';
  }
  return `unexpected ${res.statusCode}`;
}

const sampleOf = (entry: MatrixEntry, url: string, ctx: SampleContext): SampleRequest =>
  entry.sample?.(ctx) ?? { url };

describe('authorization matrix', () => {
  it('has exactly one entry per registered route, consistent with what the route declares', () => {
    const registered = routesOf(app).map((r) => `${r.method} ${r.url}`);
    expect(registered.length).toBeGreaterThan(10);
    const missing = registered.filter((k) => AUTHZ_MATRIX[k] === undefined);
    expect(missing, 'routes without an entry in authz-matrix.ts').toEqual([]);
    const stale = Object.keys(AUTHZ_MATRIX).filter((k) => !registered.includes(k));
    expect(stale, 'entries in authz-matrix.ts for routes that do not exist').toEqual([]);
    for (const r of routesOf(app)) {
      const entry = AUTHZ_MATRIX[`${r.method} ${r.url}`]!;
      const roles = r.config['roles'] as readonly Role[] | undefined;
      expect([...(roles ?? ['public'])].sort(), `${r.method} ${r.url} roles`).toEqual(
        entry.roles === 'public' ? ['public'] : [...entry.roles].sort(),
      );
      if (r.config['tenant'] !== undefined)
        expect(r.config['tenant'], `${r.method} ${r.url}`).toBe(entry.tenant);
      if (r.config['crossTenant'] !== undefined)
        expect([...(r.config['crossTenant'] as Role[])].sort()).toEqual(
          [...(entry.crossTenant ?? [])].sort(),
        );
      if (r.url.includes(':')) expect(entry.sample, `${r.method} ${r.url} needs a sample`).toBeDefined();
    }
  });

  it('gives every route × role (and anonymous) × own/other tenant exactly the outcome the matrix says', async () => {
    const want: Record<string, Outcome> = {};
    const got: Record<string, Outcome> = {};
    for (const r of routesOf(app)) {
      const entry = AUTHZ_MATRIX[`${r.method} ${r.url}`];
      if (entry === undefined) continue; // reported by the test above
      for (const caller of ['anonymous', ...Roles] as const) {
        const callerSides: readonly Side[] = entry.tenant === 'none' ? ['own'] : ['own', 'other'];
        for (const side of callerSides) {
          const base = sides[caller === 'anonymous' ? 'platform' : caller][side];
          const ctx = { ...base, unique: randomBytes(16).toString('hex') };
          const res = await send(
            app,
            r.method,
            sampleOf(entry, r.url, ctx),
            caller === 'anonymous' ? null : callerKeys[caller],
          );
          const cell = `${r.method} ${r.url} as ${caller} on ${side}`;
          want[cell] = expected(entry, caller, side);
          got[cell] = observed(entry, ctx, res);
          if (got[cell] !== want[cell])
            got[cell] += ` (${res.statusCode} ${res.body.slice(0, 200)})` as Outcome;
        }
      }
    }
    expect(got).toEqual(want);
    expect(Object.keys(got).length).toBeGreaterThan(150);
  });
});
