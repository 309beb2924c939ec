import type { FramesClassified, FramesScanned, Hit, Verdict } from '@mod/contracts';
import type { CaseReason } from './case-reason.js';
import { takedownTarget, type TakedownWithheld, type UrlProvenance } from './takedown-target.js';

export { hostOf } from './takedown-target.js';

/** A legal basis as policy cites it, with the time the target has to comply. */
export interface OrderRule {
  legalBasis: string;
  deadlineHours: number;
}

/**
 * Versioned policy settings, loaded from configuration (never code): which legal basis and deadline automatic
 * orders cite, how often a notice is repeated, which authority confirms automatic decisions.
 */
export interface PolicyConfig {
  /** Recorded with every decision, so each one is explainable later. */
  version: string;
  blocking: OrderRule;
  takedown: OrderRule;
  /** Hours between notices until the target acts. Default 24 (Project Arachnid practice). */
  renoticeIntervalHours: number;
  /** Authority named on confirmation cases and escalations. */
  confirmingAuthority: string;
}

export const defaultPolicy: PolicyConfig = {
  version: '2026-11-28.2',
  blocking: {
    legalBasis: 'Decree 147/2024/ND-CP (removal within 24 hours of an authority request)',
    deadlineHours: 24,
  },
  takedown: {
    legalBasis: 'Decree 147/2024/ND-CP (removal within 24 hours of an authority request)',
    deadlineHours: 24,
  },
  renoticeIntervalHours: 24,
  confirmingAuthority: 'Ministry of Information and Communications',
};

export type OrderSubject = { type: 'content-hash' | 'url' | 'host'; value: string };

export interface PlannedOrder {
  kind: 'blocking' | 'takedown';
  subject: OrderSubject;
  targetTenantId: string;
  legalBasis: string;
  deadlineAt: Date;
  renoticeIntervalMs: number;
  bankIds: string[];
  /** For takedowns of hosted content: the URL verification re-fetches once the platform reports it done. */
  verifyUrl: string | null;
}

/** Work for people: an authority confirms an automatic decision; a reviewer looks at a weak signal. */
export interface PlannedCase {
  kind: 'confirm' | 'review';
  /** In English, as stored and logged. */
  reason: string;
  /** The same reason as a code and its parameters, which the console puts into people's language. */
  caseReason: CaseReason;
  assignee: string;
}

/** Evidence recorded with the decision: hits, distances, categories, scores; never media bytes. */
export interface DecisionEvidence {
  hits: Hit[];
  policyVersion: string;
  sha256: string;
  /** `frames`: a multi-frame file's frames the classifier scored, and the one whose risk is `riskScore`. */
  classification?: {
    riskScore: number;
    reviewRequired: boolean;
    apparentMinor: boolean;
    frames?: FramesClassified;
  };
  /** The URL or host a fetcher's verdict was about (kept on cases, so a confirmation blocks that subject). */
  subject?: { type: 'url' | 'host'; value: string };
  /** The category a person confirmed (A, B or C), for decisions a reviewer or an authority made. */
  confirmedCategory?: string;
  /** A multi-frame file's frames: how many the scanner examined (and hashed) of how many. */
  frames?: FramesScanned;
  /** The takedown policy did not send to the platform hosting the URL, and why (`takedownTarget`). */
  takedownWithheld?: TakedownWithheld;
}

export interface PolicyDecision {
  /** block: orders follow; review: a person must look first; none: nothing to do; suppressed: a negative bank hit. */
  outcome: 'block' | 'review' | 'none' | 'suppressed';
  orders: PlannedOrder[];
  cases: PlannedCase[];
  evidence: DecisionEvidence;
}

export interface PolicyContext {
  policy: PolicyConfig;
  /** ISPs subscribed to blocking requests. */
  ispSubscribers: readonly string[];
  /** The platform tenant hosting the content (host → platform mapping), when the URL and its host are known. */
  hostingPlatformTenantId?: string | null;
  /** Who submitted the content and whether the system observed it at its URL: whom a takedown may go to. */
  urlProvenance: UrlProvenance;
  now: Date;
}

const HOUR_MS = 3_600_000;

/** A verdict's decision from its hits: a negative-bank hit suppresses every other hit. */
export function decide(hits: readonly Pick<Hit, 'negative'>[]): Verdict['decision'] {
  if (hits.some((h) => h.negative)) return 'suppressed';
  return hits.length > 0 ? 'match' : 'no-match';
}

/** Whether policy will issue orders for these hits (an automatic bank hit, no negative hit): targets are needed. */
export function ordersFollow(hits: readonly Pick<Hit, 'actionPolicy' | 'negative'>[]): boolean {
  return decide(hits) === 'match' && hits.some((h) => h.actionPolicy === 'automatic');
}

/**
 * Whether a multi-frame file left frames unhashed (past the scanner's frame bound, `frames.examined < count`) with
 * nothing found that decides it: no hit that stands (a negative hit on a frame covers that frame only) and no
 * negative hit on the file itself. Such media is never let pass unseen: a person reviews it.
 */
export function framesNeedReview(verdict: {
  hits: readonly Pick<Hit, 'negative' | 'frame'>[];
  frames?: FramesScanned | undefined;
}): boolean {
  const frames = verdict.frames;
  if (frames === undefined || frames.examined >= frames.count) return false;
  return decide(verdict.hits) !== 'match' && !verdict.hits.some((h) => h.negative && h.frame === undefined);
}

/** What policy needs to know about the content a decision is about. */
interface ContentRef {
  sha256: string;
  url?: string | null | undefined;
  subject?: { type: 'url' | 'host'; value: string } | undefined;
}

/** The orders for content that must go, and the takedown withheld (`takedownTarget`), if any. */
interface PlannedOrders {
  orders: PlannedOrder[];
  takedownWithheld?: TakedownWithheld;
}

/**
 * The orders for content that must go: a blocking request to every subscribed ISP (for the URL/host subject
 * when there is one, else the content's SHA-256) and a takedown to the hosting platform when known and the URL's
 * provenance allows it (`takedownTarget`).
 */
function plannedOrders(content: ContentRef, bankIds: string[], context: PolicyContext): PlannedOrders {
  const { policy } = context;
  const renoticeIntervalMs = policy.renoticeIntervalHours * HOUR_MS;
  const deadline = (rule: OrderRule) => new Date(context.now.getTime() + rule.deadlineHours * HOUR_MS);
  const url =
    content.url ?? (content.subject?.type === 'url' ? content.subject.value : undefined) ?? undefined;
  const blockingSubject: OrderSubject = content.subject ?? { type: 'content-hash', value: content.sha256 };
  const orders: PlannedOrder[] = context.ispSubscribers.map((isp) => ({
    kind: 'blocking',
    subject: blockingSubject,
    targetTenantId: isp,
    legalBasis: policy.blocking.legalBasis,
    deadlineAt: deadline(policy.blocking),
    renoticeIntervalMs,
    bankIds,
    verifyUrl: null,
  }));
  if (url === undefined) return { orders };
  const takedown = takedownTarget(url, context.hostingPlatformTenantId ?? null, context.urlProvenance);
  if (takedown.targetTenantId !== null)
    orders.push({
      kind: 'takedown',
      subject: { type: 'url', value: url },
      targetTenantId: takedown.targetTenantId,
      legalBasis: policy.takedown.legalBasis,
      deadlineAt: deadline(policy.takedown),
      renoticeIntervalMs,
      bankIds,
      verifyUrl: url,
    });
  return takedown.withheld === undefined ? { orders } : { orders, takedownWithheld: takedown.withheld };
}

/**
 * The evidence a decision about `content` keeps: the hits it rests on, the policy version, the content's digest,
 * and its classification and subject when known.
 */
function decisionEvidence(
  content: ContentRef & {
    classification?: DecisionEvidence['classification'];
    frames?: FramesScanned | undefined;
  },
  hits: Hit[],
  policy: PolicyConfig,
): DecisionEvidence {
  return {
    hits,
    policyVersion: policy.version,
    sha256: content.sha256,
    ...(content.classification === undefined ? {} : { classification: content.classification }),
    ...(content.subject === undefined ? {} : { subject: content.subject }),
    ...(content.frames === undefined ? {} : { frames: content.frames }),
  };
}

/** What a confirmation case says of a withheld takedown, so that the authority can act on it. */
const withheldNote = (w: TakedownWithheld | undefined): string =>
  w === undefined
    ? ''
    : `; no takedown sent to ${w.platformTenantId}: ${w.url} (host ${w.host}, that platform's) is only claimed ` +
      `by ${w.submitterTenantId}, never observed by the system; check where the content is before ordering it`;

/** Why a confirmation case opened, as a code: an automatic match or a person's confirmation. */
type ConfirmWhy =
  | { code: 'confirm-automatic'; banks: string[]; categories: string[] }
  | { code: 'confirm-confirmed'; confirmedBy: string; category: string };

/** The authority's confirmation case for orders policy issued (and the takedown it withheld, if any). */
const confirmationCase = (
  policy: PolicyConfig,
  why: string,
  coded: ConfirmWhy,
  planned: PlannedOrders,
): PlannedCase => ({
  kind: 'confirm',
  reason: `${why}: ${planned.orders.length} order(s) issued${withheldNote(planned.takedownWithheld)}`,
  caseReason: {
    ...coded,
    orders: planned.orders.length,
    takedownWithheldTo: planned.takedownWithheld?.platformTenantId ?? null,
  },
  assignee: policy.confirmingAuthority,
});

/** A decision's evidence with the takedown its orders withheld, if any. */
const withWithheld = (evidence: DecisionEvidence, planned: PlannedOrders): DecisionEvidence =>
  planned.takedownWithheld === undefined
    ? evidence
    : { ...evidence, takedownWithheld: planned.takedownWithheld };

/**
 * Which orders and cases a verdict leads to (pure: the caller resolves subscribers and the hosting platform).
 * - a negative-bank hit suppresses everything;
 * - a hit in a bank whose policy is automatic → a blocking request to every subscribed ISP (for the verdict's
 *   URL/host subject when it has one, else the content's SHA-256), a takedown order to the hosting platform
 *   when known (for the URL), and a case for the authority to confirm;
 * - hits only in review banks, or no hit but a classifier that asks for review, or frames of a multi-frame file
 *   left unhashed with nothing found in those hashed (`framesNeedReview`), or left unscored by the classifier → a
 *   review case, no order;
 * - otherwise nothing.
 */
export function evaluateVerdict(
  verdict: Pick<Verdict, 'hits'> & { hashes: Pick<Verdict['hashes'], 'sha256'> } & Partial<
      Pick<Verdict, 'url' | 'subject' | 'classification' | 'frames'>
    >,
  context: PolicyContext,
): PolicyDecision {
  const { policy } = context;
  const c = verdict.classification;
  const classification = c
    ? {
        riskScore: c.risk.score,
        reviewRequired: c.risk.reviewRequired,
        apparentMinor: c.apparentMinor.flagged,
        ...(c.frames === undefined ? {} : { frames: c.frames }),
      }
    : undefined;
  // Frames the classifier left unscored are never let pass unseen either, as those the scanner left unhashed.
  const unscored = c?.frames !== undefined && c.frames.examined < c.frames.count ? c.frames : undefined;
  const evidenceOf = (hits: Hit[]): DecisionEvidence =>
    decisionEvidence(
      { sha256: verdict.hashes.sha256, subject: verdict.subject, classification, frames: verdict.frames },
      hits,
      policy,
    );
  const nothing = (outcome: PolicyDecision['outcome'], hits: Hit[]): PolicyDecision => ({
    outcome,
    orders: [],
    cases: [],
    evidence: evidenceOf(hits),
  });

  const unhashedFrames = framesNeedReview(verdict);
  const frames = verdict.frames;
  if (decide(verdict.hits) === 'suppressed' && !unhashedFrames) return nothing('suppressed', verdict.hits);
  const matched = decide(verdict.hits) === 'match';
  const automatic = matched ? verdict.hits.filter((h) => h.actionPolicy === 'automatic') : [];
  if (automatic.length === 0) {
    const review =
      matched || unhashedFrames || classification?.reviewRequired === true || unscored !== undefined;
    if (!review) return nothing('none', verdict.hits);
    const reviewBanks = [...new Set(verdict.hits.map((h) => h.bankName))].sort();
    const [reason, caseReason]: [string, CaseReason] = matched
      ? [`hit in review bank(s) ${reviewBanks.join(', ')}`, { code: 'review-bank-hit', banks: reviewBanks }]
      : unhashedFrames && frames !== undefined
        ? [
            `only ${frames.examined} of ${frames.count} frames hashed${frames.unexamined === 'no-decoder' ? ' (an animated PNG: no decoder reads the others)' : ''}, nothing matched in them`,
            {
              code: 'review-frames-unhashed',
              examined: frames.examined,
              count: frames.count,
              ...(frames.unexamined === undefined ? {} : { why: frames.unexamined }),
            },
          ]
        : classification?.reviewRequired !== true && unscored !== undefined
          ? [
              `only ${unscored.examined} of ${unscored.count} frames classified (${unscored.unexamined ?? 'frame-limit'})`,
              {
                code: 'review-frames-unscored',
                examined: unscored.examined,
                count: unscored.count,
                why: unscored.unexamined ?? 'frame-limit',
              },
            ]
          : [
              `classifier risk ${classification?.riskScore.toFixed(2) ?? '?'} asks for review`,
              { code: 'review-classifier', riskScore: classification?.riskScore ?? null },
            ];
    return {
      outcome: 'review',
      orders: [],
      cases: [{ kind: 'review', reason, caseReason, assignee: 'reviewers' }],
      evidence: evidenceOf(verdict.hits),
    };
  }

  const bankIds = [...new Set(automatic.map((h) => h.bankId))].sort();
  const planned = plannedOrders(
    { sha256: verdict.hashes.sha256, url: verdict.url, subject: verdict.subject },
    bankIds,
    context,
  );
  const categories = [
    ...new Set(automatic.map((h) => h.category).filter((c) => c !== undefined && c !== null)),
  ].sort();
  const banks = [...new Set(automatic.map((h) => h.bankName))].sort();
  return {
    outcome: 'block',
    orders: planned.orders,
    cases: [
      confirmationCase(
        policy,
        `automatic match in bank(s) ${banks.join(', ')}${categories.length > 0 ? ` (category ${categories.join(', ')})` : ''}`,
        { code: 'confirm-automatic', banks, categories },
        planned,
      ),
    ],
    evidence: withWithheld(evidenceOf(automatic), planned),
  };
}

/** Content a person confirmed (a review or escalation case): what policy knew of it, and the category chosen. */
export interface ConfirmedContent extends ContentRef {
  /** The hits the case rests on (review banks; none for a classifier's case). */
  hits: Hit[];
  classification?: DecisionEvidence['classification'];
  /** A multi-frame file's frames the scanner examined, kept from the case so the confirmation shows them too. */
  frames?: FramesScanned | undefined;
  /** A, B or C. */
  category: string;
  /** Who confirmed, for the confirmation case's reason (e.g. `reviewer`). */
  confirmedBy: string;
}

/**
 * The orders content confirmed by a person leads to: the same orders an automatic match issues (a blocking
 * request to every subscribed ISP, a takedown to the hosting platform), for the banks the case's hits came from,
 * and the authority's confirmation case when there is an order to confirm. Outcome `block`; the evidence keeps
 * the hits, scores and category.
 */
export function evaluateConfirmedCase(content: ConfirmedContent, context: PolicyContext): PolicyDecision {
  const { policy } = context;
  // A negative (known-benign) bank is never an order's ground: a frames case keeps a benign frame's hit as context.
  const bankIds = [...new Set(content.hits.filter((h) => !h.negative).map((h) => h.bankId))].sort();
  const planned = plannedOrders(content, bankIds, context);
  const { orders } = planned;
  return {
    outcome: 'block',
    orders,
    // A confirmation case closes only through its orders' commands: with no order (no ISP subscribed, no platform
    // known for the URL) it would stay open in every authority's queue for ever, and the kept media, which
    // follows it, would outlive its retention.
    cases:
      orders.length === 0
        ? []
        : [
            confirmationCase(
              policy,
              `${content.confirmedBy} confirmed category ${content.category}`,
              { code: 'confirm-confirmed', confirmedBy: content.confirmedBy, category: content.category },
              planned,
            ),
          ],
    evidence: withWithheld(
      { ...decisionEvidence(content, content.hits, policy), confirmedCategory: content.category },
      planned,
    ),
  };
}
