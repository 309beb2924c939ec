import type { LightMyRequestResponse } from 'fastify';
import { createBank } from '@mod/curation';
import { mapHostToPlatform } from '@mod/db/orders';
import type { TestTenant } from '@mod/testing';
import { beforeAll, expect } from 'vitest';
import type { AppDeps } from './app.js';
import { CAST, useCallersWorld, type CallersWorld, type CastMember } from './callers-world.test-helper.js';
import {
  asPerson,
  seedReviewCase,
  seedReviewTenants,
  signedInPerson,
  type SignedIn,
} from './cases.test-helper.js';
import type { ApiTestWorld, Callers } from './testing.test-helper.js';

/** The tenants of the cast's people (`CAST`) besides the review tenants (`seedReviewTenants`). */
const CAST_TENANTS: Readonly<Record<string, TestTenant>> = {
  ops: { id: 'ops', kind: 'admin', name: 'Operations' },
  'auth-1': { id: 'auth-1', kind: 'authority', name: 'Authority 1' },
  'auth-2': { id: 'auth-2', kind: 'authority', name: 'Authority 2' },
};

/** A review test file's world (`useCallersWorld`) and the people of the cast it signed in. */
export interface ReviewWorld<K extends string, P extends CastMember> {
  readonly api: CallersWorld<K>;
  /** The people signed in, filled in before the file's tests (read them in a hook or a test). */
  readonly people: Readonly<Record<P, SignedIn>>;
  /** A review case of plat-1 (`seedReviewCase`: risk 0.9, the photo kept in the world's vault, unless told). */
  readonly seedCase: (o?: {
    score?: number;
    url?: string;
    keep?: boolean;
  }) => ReturnType<typeof seedReviewCase>;
  /** A hash bank reviewers propose to (`createBank`, its source `review`). */
  readonly reviewBank: (bank: ReviewBank) => ReturnType<typeof createBank>;
  /**
   * A negative (known-benign) hash bank reviewers propose to: of sha256 and automatic, unless `o` says otherwise
   * (`reviewBank`).
   */
  readonly negativeBank: (
    name: string,
    o?: Partial<Pick<ReviewBank, 'signalTypes' | 'actionPolicy'>>,
  ) => ReturnType<typeof createBank>;
  /** A person's claim of a case. */
  readonly claim: (who: SignedIn, caseId: string) => Promise<LightMyRequestResponse>;
  /** A person's decision on a case. */
  readonly decide: (who: SignedIn, caseId: string, body: object) => Promise<LightMyRequestResponse>;
  /** A person's claim of a case and their decision on it, each answered 200: the decision's answer. */
  readonly claimAndDecide: (who: SignedIn, caseId: string, body: object) => Promise<LightMyRequestResponse>;
}

/** A bank of `reviewBank`: what `createBank` takes but its source. */
type ReviewBank = Omit<Parameters<typeof createBank>[1], 'source'>;

/**
 * The set-up the case routes' tests share: a world whose app keeps and shows review media from the world's vault
 * (`build` adds to what it is built with), the review tenants (`seedReviewTenants`, with those of the `people`
 * and `tenants`), plat-1 serving its media from cdn.plat1.example, and `people` of the cast (`CAST`: of
 * hotline-1, ops, auth-1 or auth-2) signed in.
 */
export function useReviewWorld<K extends string = never, P extends CastMember = never>(
  callers: Callers<K>,
  o: {
    people: readonly P[];
    tenants?: readonly TestTenant[];
    build?: (world: ApiTestWorld) => Partial<AppDeps>;
  },
): ReviewWorld<K, P> {
  const api = useCallersWorld(callers, {
    build: (world) => {
      const more = o.build?.(world) ?? {};
      return { ...more, review: { evidence: world.vault, ...more.review } };
    },
  });
  const people = {} as Record<P, SignedIn>;
  beforeAll(async () => {
    const tenantIds = new Set<string>(o.people.map((name) => CAST[name][0]));
    const castTenants = Object.values(CAST_TENANTS).filter((t) => tenantIds.has(t.id));
    await seedReviewTenants(api.db, [...castTenants, ...(o.tenants ?? [])]);
    await mapHostToPlatform(api.db, 'cdn.plat1.example', 'plat-1');
    for (const name of o.people) {
      const [tenantId, role] = CAST[name];
      people[name] = await signedInPerson(api.db, tenantId, role, name);
    }
  });
  const reviewBank = (bank: ReviewBank) =>
    createBank(api.db, { ...bank, source: 'review' }, api.world.topics.bankChanges);
  const claim = (who: SignedIn, caseId: string) =>
    asPerson(api.app, who, 'POST', `/v1/cases/${caseId}/claim`);
  const decide = (who: SignedIn, caseId: string, body: object) =>
    asPerson(api.app, who, 'POST', `/v1/cases/${caseId}/decision`, body);
  return {
    api,
    people,
    seedCase: (c = {}) => seedReviewCase(api.db, api.world.vault, { tenantId: 'plat-1', score: 0.9, ...c }),
    reviewBank,
    negativeBank: (name, o = {}) =>
      reviewBank({ name, signalTypes: ['sha256'], actionPolicy: 'automatic', ...o, negative: true }),
    claim,
    decide,
    claimAndDecide: async (who, caseId, body) => {
      const claimed = await claim(who, caseId);
      expect(claimed.statusCode, claimed.body).toBe(200);
      const decided = await decide(who, caseId, body);
      expect(decided.statusCode, decided.body).toBe(200);
      return decided;
    },
  };
}
