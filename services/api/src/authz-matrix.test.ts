import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Roles, type Role } from '@mod/db/access';
import { PersonRoles, type PersonRole } from '@mod/db/people';
import { routesOf } from './app.js';
import {
  AUTHZ_MATRIX,
  type MatrixEntry,
  type MatrixOutcome,
  type SampleContext,
  type SampleRequest,
} from './authz-matrix.test-helper.js';
import { CASES_MATRIX } from './authz-matrix-cases.test-helper.js';
import { EVIDENCE_MATRIX } from './authz-matrix-evidence.test-helper.js';
import { useMatrixWorld } from './callers-world.test-helper.js';
import { pendTotp, seedSession, TEST_PASSWORD } from './people-testing.test-helper.js';
import { send, type Side } from './testing.test-helper.js';

/** Who calls: no one, a machine's API key of a role, or a person of a role (session cookie and CSRF token). */
type Caller = { kind: 'anonymous' } | { kind: 'key'; role: Role } | { kind: 'person'; role: PersonRole };
type Outcome = MatrixOutcome | `unexpected ${number}`;

/**
 * One world per kind of caller: keys (and anonymous callers) act on their fixtures' orders in one, people on
 * theirs in the other, so that a command one made (confirm, pause) does not meet the other's as already done.
 */
type MatrixWorld = ReturnType<typeof useMatrixWorld>;
const machines = useMatrixWorld();
const persons = useMatrixWorld();
/**
 * How long a whole pass of the matrix may take: some thousand requests, 14 to 20 s on a quiet machine, 45 s seen on
 * one shared by other test runs, past the suite's 30 s. A bound for a stuck request, not a speed check.
 */
const WHOLE_MATRIX_MS = 120_000;

const MACHINES: readonly Caller[] = [
  { kind: 'anonymous' },
  ...Roles.map((role) => ({ kind: 'key' as const, role })),
];
const PERSONS: readonly Caller[] = PersonRoles.map((role) => ({ kind: 'person' as const, role }));
const nameOf = (c: Caller) =>
  c.kind === 'anonymous' ? 'anonymous' : c.kind === 'key' ? c.role : `person:${c.role}`;

function expected(entry: MatrixEntry, caller: Caller, side: Side): Outcome {
  if (entry.roles === 'public') return 'ok';
  if (caller.kind === 'anonymous') return 'unauthenticated';
  if (!entry.roles.includes(caller.role)) return 'forbidden';
  if (caller.kind === 'key' && entry.sessionOnly === true) return 'forbidden';
  if (side === 'own' && entry.ownObjectRoles?.includes(caller.role) === false) return 'forbidden';
  if (entry.tenant === 'none' || entry.shows === undefined) return 'ok';
  const across =
    entry.crossTenant?.includes(caller.role) === true &&
    !(caller.kind === 'key' && entry.crossTenantPeopleOnly?.includes(caller.role) === true);
  return side === 'own' || across ? 'visible' : 'hidden';
}

/** What a call answered; `shows`: the id a visible answer names (absent: any 2xx is `ok`). */
function observed(
  entry: MatrixEntry,
  ctx: SampleContext,
  res: LightMyRequestResponse,
  shows = entry.tenant === 'none' ? undefined : entry.shows,
): Outcome {
  if (entry.roles === 'public' && entry.publicStatus !== undefined)
    return res.statusCode === entry.publicStatus ? 'ok' : `unexpected ${res.statusCode}`;
  if (res.statusCode === 401) return 'unauthenticated';
  if (res.statusCode === 403) return 'forbidden';
  if (
    res.statusCode === 404 &&
    res.json<{ error: { code: string } }>().error.code === 'MOD_ERR_API_NOT_FOUND'
  )
    return 'hidden';
  if (res.statusCode >= 200 && res.statusCode < 300) {
    if (entry.roles === 'public' || shows === undefined) return 'ok';
    // A media answer (a case's preview or reveal) names what it is in `x-case-id`, not in its bytes.
    const shown = shows(ctx);
    return res.body.includes(shown) || res.headers['x-case-id'] === shown ? 'visible' : 'hidden';
  }
  return `unexpected ${res.statusCode}`;
}

const sampleOf = (entry: MatrixEntry, url: string, ctx: SampleContext): SampleRequest =>
  entry.sample?.(ctx) ?? { url };

/**
 * The context and credential of one call. A person gets a fresh session each time (a sign-out must not end the
 * next call's), at the stage the entry asks for (with a TOTP secret pending when it is `totp`).
 */
async function callerOf(
  m: MatrixWorld,
  entry: MatrixEntry,
  caller: Caller,
  side: Side,
): Promise<{ ctx: SampleContext; credential: string | { headers: Record<string, string> } | null }> {
  const { sides, callerKeys, people } = m.fixtures;
  const base = { ...sides[caller.kind === 'anonymous' ? 'platform' : caller.role][side], ...people.shared };
  const ctx = { ...base, callerPassword: '', callerTotpCode: '', unique: randomBytes(16).toString('hex') };
  if (caller.kind === 'anonymous') return { ctx, credential: null };
  if (caller.kind === 'key') return { ctx, credential: callerKeys[caller.role] };
  const person = people.callers[caller.role];
  const stage = entry.personStage ?? 'full';
  ctx.callerPassword = TEST_PASSWORD;
  const { sessionId, headers } = await seedSession(m.api.db, person.personId, stage);
  if (stage === 'totp') ctx.callerTotpCode = await pendTotp(m.api.db, person.personId, sessionId);
  return { ctx, credential: { headers } };
}

describe('authorization matrix', () => {
  it('has exactly one entry per registered route, consistent with what the route declares', () => {
    const registered = routesOf(machines.api.app).map((r) => `${r.method} ${r.url}`);
    expect(registered.length).toBeGreaterThan(10);
    const missing = registered.filter((k) => AUTHZ_MATRIX[k] === undefined);
    expect(missing, 'routes without an entry in authz-matrix.test-helper.ts').toEqual([]);
    const stale = Object.keys(AUTHZ_MATRIX).filter((k) => !registered.includes(k));
    expect(stale, 'entries in authz-matrix.test-helper.ts for routes that do not exist').toEqual([]);
    for (const r of routesOf(machines.api.app)) {
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
      expect(r.config['crossTenantPeopleOnly'], `${r.method} ${r.url} crossTenantPeopleOnly`).toEqual(
        entry.crossTenantPeopleOnly,
      );
      expect(r.config['sessionOnly'], `${r.method} ${r.url} sessionOnly`).toBe(entry.sessionOnly);
      if (r.url.includes(':')) expect(entry.sample, `${r.method} ${r.url} needs a sample`).toBeDefined();
    }
  });

  /** Calls every route as each caller, on the caller's own and another tenant's objects; answers the outcomes. */
  async function outcomes(m: MatrixWorld, callers: readonly Caller[]) {
    const want: Record<string, Outcome> = {};
    const got: Record<string, Outcome> = {};
    for (const r of routesOf(m.api.app)) {
      const entry = AUTHZ_MATRIX[`${r.method} ${r.url}`];
      if (entry === undefined) continue; // reported by the test above
      for (const caller of callers) {
        const callerSides: readonly Side[] = entry.tenant === 'none' ? ['own'] : ['own', 'other'];
        for (const side of callerSides) {
          const { ctx, credential } = await callerOf(m, entry, caller, side);
          const res = await send(m.api.app, r.method, sampleOf(entry, r.url, ctx), credential);
          const cell = `${r.method} ${r.url} as ${nameOf(caller)} on ${side}`;
          want[cell] = expected(entry, caller, side);
          got[cell] = observed(entry, ctx, res);
          if (got[cell] !== want[cell])
            got[cell] += ` (${res.statusCode} ${res.body.slice(0, 200)})` as Outcome;
        }
      }
    }
    return { want, got };
  }

  it(
    'gives every route × key role (and anonymous) × own/other tenant exactly the outcome the matrix says',
    async () => {
      const { want, got } = await outcomes(machines, MACHINES);
      expect(got).toEqual(want);
      expect(Object.keys(got).length).toBeGreaterThan(150);
    },
    WHOLE_MATRIX_MS,
  );

  it(
    'gives every route × person role (session cookie and CSRF token) × own/other tenant the outcome the matrix says',
    async () => {
      const { want, got } = await outcomes(persons, PERSONS);
      expect(got).toEqual(want);
      expect(Object.keys(got).length).toBeGreaterThan(100);
    },
    WHOLE_MATRIX_MS,
  );

  /**
   * Calls every case and evidence route as the reviewer of an authority tenant (`bound`: its key, or its person with
   * a fresh session), on its side's case (tied to its authority) and the other authority's; answers the outcomes.
   */
  async function boundOutcomes(m: MatrixWorld, as: 'key' | 'person') {
    const want: Record<string, Outcome> = {};
    const got: Record<string, Outcome> = {};
    const { bound, people } = m.fixtures;
    for (const r of routesOf(m.api.app)) {
      const name = `${r.method} ${r.url}`;
      if (!(name in CASES_MATRIX) && !(name in EVIDENCE_MATRIX)) continue;
      const entry = AUTHZ_MATRIX[name]!;
      const row = entry.boundReviewer;
      if (row === undefined) {
        got[name] = 'unexpected 0';
        continue;
      }
      for (const side of entry.tenant === 'none' ? (['own'] as const) : (['own', 'other'] as const)) {
        const unique = randomBytes(16).toString('hex');
        const ctx = {
          ...bound.sides[side],
          ...people.shared,
          callerPassword: '',
          callerTotpCode: '',
          unique,
        };
        const credential =
          as === 'key' ? bound.key : (await seedSession(m.api.db, bound.person.personId, 'full')).headers;
        const res = await send(
          m.api.app,
          r.method,
          sampleOf(entry, r.url, ctx),
          typeof credential === 'string' ? credential : { headers: credential },
        );
        const cell = `${name} as an authority's reviewer's ${as} on ${side}`;
        want[cell] = row[as][side === 'own' ? 0 : 1];
        got[cell] = observed(entry, ctx, res, row.shows ?? entry.shows);
        if (got[cell] !== want[cell])
          got[cell] += ` (${res.statusCode} ${res.body.slice(0, 200)})` as Outcome;
      }
    }
    return { want, got };
  }

  // Reviewers are oversight only in the operator's tenants (hotline, admin): an authority's sees and works the cases
  // tied to its authority, and their evidence, as any reviewer does; another authority's are 404 to it.
  it("gives a reviewer of an authority tenant, key and person, each case and evidence route's row", async () => {
    for (const [m, as] of [
      [machines, 'key'],
      [persons, 'person'],
    ] as const) {
      const { want, got } = await boundOutcomes(m, as);
      expect(got).toEqual(want);
      expect(Object.keys(got).length).toBeGreaterThan(25);
    }
  });
});
