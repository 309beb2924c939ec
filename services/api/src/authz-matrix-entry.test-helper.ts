import type { Role } from '@mod/db/access';
import type { TenantRule } from './authz.js';

/*
 * What an entry of the authorization matrix (authz-matrix.test-helper.ts) says about a route, and the fixtures its
 * sample requests are built from (`seedAccessFixtures` in testing.test-helper.ts).
 */

/** Fixtures of one side (the caller's own tenant, or another tenant of the same kind) plus shared ones. */
export interface AccessFixtureContext {
  /** The side's tenant. */
  tenantId: string;
  /**
   * An order of the side's tenant: addressed to it, or for authorities one it issued by hand (to a platform), so
   * that the other authority must not see it.
   */
  orderId: string;
  /** A submission of the side's tenant. */
  submissionId: string;
  /** A spare API key of the side's tenant (never the caller's own key). */
  keyId: string;
  /** Shared: a hash bank, a URL-list bank, an ISP tenant, a registered client certificate. */
  bankId: string;
  urlListId: string;
  ispTenantId: string;
  certificateId: string;
  /** An audit record about the side's order, and the size of a signed tree head (shared) that includes it. */
  auditSeq: number;
  auditTreeSize: number;
  /** An evidence vault item of the side's submission. */
  evidenceId: string;
  /**
   * A case of the side (`seedMatrixCase` in cases.test-helper.ts): a review case of its tenant with media kept;
   * for authorities one escalated to its tenant; for curators one already decided. Shared: two pending bank
   * proposals by another person, one to approve and one to reject.
   */
  caseId: string;
  /** A citizens' report the side's tenant filed (hotline channel), with sealed contact details. */
  reportId: string;
  proposalId: string;
  rejectProposalId: string;
}

/** Fixtures of people (`seedMatrixPeople` in people-testing.test-helper.ts) and of the calling person. */
export interface PeopleFixtureContext {
  /**
   * Shared: a hotline tenant (people there may be reviewers), a spare person of it, and a person at their first
   * sign-in (a one-time password, never replaced) whom `POST /v1/session` signs in.
   */
  hotlineTenantId: string;
  personId: string;
  firstSignIn: { login: string; password: string };
  /** A calling person's password, and the code of the TOTP secret they are enrolling ('' for machines). */
  callerPassword: string;
  callerTotpCode: string;
}

export type SampleContext = AccessFixtureContext &
  PeopleFixtureContext & {
    /** Fresh per request: for ids and names that must not repeat. */
    unique: string;
  };

export interface SampleRequest {
  url: string;
  /** JSON (objects) or raw text with `contentType`. */
  payload?: unknown;
  contentType?: string;
  /** multipart/form-data with one file field `media`. */
  media?: Buffer;
}

/** What one call of the matrix observes: allowed (and, on a scoped route, the object shown or not) or refused. */
export type MatrixOutcome = 'ok' | 'visible' | 'hidden' | 'unauthenticated' | 'forbidden';

/**
 * A reviewer of another tenant than the programme operator's (an authority's: `isTenantBoundReviewer` in authz.ts)
 * on a case or evidence route: what its key and its person get on its side's object (`own`: tied to its authority)
 * and on the other side's (another authority's; a route about no tenant is called on `own` only).
 */
export interface BoundReviewerRow {
  key: readonly [own: MatrixOutcome, other: MatrixOutcome];
  person: readonly [own: MatrixOutcome, other: MatrixOutcome];
  /** The id a visible answer names for this caller, when the entry's `shows` is not it (or it has none). */
  shows?: (c: SampleContext) => string;
}

export interface MatrixEntry {
  /** Roles allowed; 'public' for routes without authentication. */
  roles: readonly Role[] | 'public';
  tenant: TenantRule;
  /** With `tenant: 'own'` or `'order'`: roles that also reach other tenants' objects. */
  crossTenant?: readonly Role[];
  /** Roles of `crossTenant` that reach other tenants' objects as people only: their keys reach their own. */
  crossTenantPeopleOnly?: readonly Role[];
  /** A valid request (default: the route's url as is, no body; only for routes without params). */
  sample?: (c: SampleContext) => SampleRequest;
  /**
   * A public route whose sample is refused by the route's own checks (a form post without a served token): the
   * status it answers to everyone alike, which shows it asks no credential.
   */
  publicStatus?: number;
  /** With `tenant: 'own'` or `'order'`: the id a visible answer contains and a hidden one must not. */
  shows?: (c: SampleContext) => string;
  /**
   * With `tenant: 'own'`: the roles of `roles` that may act on the sample's object of their own tenant; the others
   * reach the route but the route's own rule about the object refuses them 403 (a key revokes itself only, never
   * the side's spare key). Absent: every role of `roles`.
   */
  ownObjectRoles?: readonly Role[];
  /** People only (session cookie): a key or certificate of an allowed role gets 403. */
  sessionOnly?: true;
  /** The stage of the calling person's session (default `full`); `totp`: with a secret pending enrolment. */
  personStage?: 'password' | 'totp';
  /** Every case and evidence route: what a reviewer of an authority tenant gets (`BoundReviewerRow`). */
  boundReviewer?: BoundReviewerRow;
}

/** 64 hex digits made from `unique` (its hex digits, padded): a valid, unique hash for a sample request. */
export const hex64 = (unique: string) =>
  Buffer.from(
    unique
      .replace(/[^0-9a-f]/g, '')
      .padEnd(64, '0')
      .slice(0, 64),
    'hex',
  ).toString('hex');

/** The fixtures of a sample context that name one object by its id. */
export type FixtureId = {
  [K in keyof SampleContext]-?: SampleContext[K] extends string ? K : never;
}[keyof SampleContext];

/**
 * A sample request to `url` about the object `id` names: its id stands for the url's `:param` placeholder, and
 * `payload` (if any) is the JSON body.
 */
export const requestFor =
  (id: FixtureId, url: string, payload?: unknown) =>
  (c: SampleContext): SampleRequest => ({
    url: url.replace(/:\w+/, () => c[id]),
    ...(payload === undefined ? {} : { payload }),
  });

/** An entry's sample and `shows` for a route about one object of the side: a visible answer names that object. */
export const about = (id: FixtureId, url: string, payload?: unknown) => ({
  sample: requestFor(id, url, payload),
  shows: (c: SampleContext) => c[id],
});

/** Routes without authentication, about no tenant. */
export const PUBLIC = { roles: 'public', tenant: 'none' } as const;
/** Admin-only routes: platform-wide, no tenant. */
export const ADMIN_ONLY = { roles: ['admin'], tenant: 'none' } as const;
