import { createApiKey } from '@mod/db/access';
import { evidenceItemId } from '@mod/vault';
import type { AccessFixtureContext } from './authz-matrix-entry.test-helper.js';
import { seedReviewCase } from './cases.test-helper.js';
import { seedPerson, type TestPerson } from './people-testing.test-helper.js';
import { openTestOrder, type ApiTestWorld, type Side } from './testing.test-helper.js';

/**
 * A reviewer bound to its tenant (`isTenantBoundReviewer`): a reviewer of an authority tenant, whose cases are those
 * tied to its authority. For the authorization matrix, its key and its person in `authority-tenant-own`, and each
 * side's case: a review case of a platform's media (kept in the vault) behind an order the side's authority issued
 * by hand, so that the other authority's answers 404 like any object of another tenant.
 */
export interface BoundReviewerFixtures {
  key: string;
  person: TestPerson;
  /** The authority sides' fixtures, with the tied case, its submission and its evidence item. */
  sides: Record<Side, AccessFixtureContext>;
}

/** Makes `BoundReviewerFixtures` over the authority role's sides of `seedAccessFixtures`. */
export async function seedBoundReviewer(
  world: ApiTestWorld,
  authoritySides: Record<Side, AccessFixtureContext>,
): Promise<BoundReviewerFixtures> {
  const db = world.db.pool;
  const sides = {} as Record<Side, AccessFixtureContext>;
  for (const side of ['own', 'other'] as const) {
    const authority = authoritySides[side].tenantId;
    const { caseId, submissionId } = await seedReviewCase(db, world.vault, {
      tenantId: 'platform-shared',
      score: 0.9,
    });
    await openTestOrder(world, {
      targetTenantId: 'platform-shared',
      issuer: { kind: 'authority', id: authority },
      issuerTenantId: authority,
      submissionId,
    });
    sides[side] = {
      ...authoritySides[side],
      caseId,
      submissionId,
      evidenceId: evidenceItemId('platform-shared', submissionId),
    };
  }
  const tenantId = authoritySides.own.tenantId;
  return {
    key: (await createApiKey(db, { tenantId, role: 'reviewer', label: 'bound reviewer' })).key,
    person: await seedPerson(db, { tenantId, login: 'matrix.bound-reviewer', role: 'reviewer' }),
    sides,
  };
}
