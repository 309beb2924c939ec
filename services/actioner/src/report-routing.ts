import { deterministicUuid, fetcherSubmissionIds } from '@mod/contracts';
import type { RoutingSubject, SubjectSubmission } from '@mod/db/reports';

/**
 * The submission ids the fetcher derives from a subject's event (on the internal topic, named by its event id):
 * a URL-list hit's, then fetched media's.
 */
export const subjectSubmissionIds = (eventId: string): [string, string] => {
  const { listed, fetched } = fetcherSubmissionIds(eventId);
  return [listed, fetched];
};

/** The submission a subject gets when the pipeline made none of its URL (sent again, and still nothing). */
export const bareSubjectSubmissionId = (subjectId: string): string =>
  deterministicUuid(`report:subject:${subjectId}`);

export interface RoutingTimings {
  /** Without any submission this long after routing, the event is sent again. */
  rerouteAfterMs: number;
  /** Sends before a person assesses the bare URL. */
  maxRouteAttempts: number;
  /** A scanned submission's classifier result (and the review case it may lead to) is awaited this long. */
  classificationWaitMs: number;
  /** A matched submission's orders (the actioner's own step) are awaited this long before a person looks. */
  actionWaitMs: number;
}

export const DEFAULT_ROUTING_TIMINGS: RoutingTimings = {
  rerouteAfterMs: 120_000,
  maxRouteAttempts: 3,
  classificationWaitMs: 60_000,
  actionWaitMs: 60_000,
};

/** What to do with a subject the pipeline is routing. */
export type RoutingStep =
  | { kind: 'wait' }
  | { kind: 'reroute' }
  /** Matched and actioned by policy, without a person. */
  | { kind: 'actioned'; submissionId: string; orderIds: string[]; reason: string }
  /** The pipeline opened a review case for the content (a bank with review policy, the classifier): join it. */
  | { kind: 'join-case'; submissionId: string; caseId: string }
  /** Nothing settled it: a person assesses it with the report as context (and a page's images scanned). */
  | {
      kind: 'open-case';
      submissionId: string | null;
      note: string;
      failureCode: string | null;
      embeddedImages?: EmbeddedImage[];
      /** A page's: how many images it shows, those not listed in `embeddedImages` never scanned. */
      embeddedImagesShown?: number;
    };

/** An image a reported page shows, as its case lists it: what the pipeline made of it. */
export interface EmbeddedImage {
  submissionId: string;
  url: string | null;
  status: SubjectSubmission['status'] | 'missing';
  decision: string | null;
  /** Where the page shows it (`img`, `meta`, `css`, `frame`), when the fetcher said (pages crawled since it does). */
  source?: string;
}

/**
 * Decides a routing subject's next step from what the pipeline made of its URL (`submission`, null when none yet).
 * A known match the actioner turned into orders settles it; a review case the pipeline opened is joined; a
 * failure (refused fetch, not media, unreadable) or a clean scan becomes a case for a person. Waiting is bounded:
 * a lost event is sent again, `maxRouteAttempts` times, and then the bare URL goes to a person all the same.
 */
export function routeSubject(
  subject: Pick<RoutingSubject, 'routedAt' | 'routeAttempts'>,
  submission: SubjectSubmission | null,
  now: Date,
  t: RoutingTimings,
): RoutingStep {
  const since = (d: Date) => now.getTime() - d.getTime();
  if (submission === null) {
    if (since(subject.routedAt) < t.rerouteAfterMs) return { kind: 'wait' };
    if (subject.routeAttempts < t.maxRouteAttempts) return { kind: 'reroute' };
    return {
      kind: 'open-case',
      submissionId: null,
      note: `the pipeline made nothing of the URL after ${subject.routeAttempts} attempts`,
      failureCode: 'MOD_ERR_REPORT_NOT_ROUTED',
    };
  }
  const { id: submissionId } = submission;
  if (submission.orderIds.length > 0)
    return {
      kind: 'actioned',
      submissionId,
      orderIds: submission.orderIds,
      reason: 'matched a known list; orders issued by policy',
    };
  if (submission.reviewCaseId !== null)
    return { kind: 'join-case', submissionId, caseId: submission.reviewCaseId };
  if (submission.status === 'failed')
    return {
      kind: 'open-case',
      submissionId,
      note: `nothing could be scanned (${submission.failureCode ?? 'failed'})`,
      failureCode: submission.failureCode,
    };
  if (submission.status === 'received') {
    // Still in the pipeline (scanning); a submission stuck there goes to a person after the reroute delay.
    if (since(submission.receivedAt) < t.rerouteAfterMs) return { kind: 'wait' };
    return { kind: 'open-case', submissionId, note: 'not scanned in time', failureCode: null };
  }
  const scannedAt = submission.scannedAt ?? submission.receivedAt;
  if (submission.decision === 'match') {
    // Orders (or a review case) follow from the actioner's own step: give it time.
    if (since(scannedAt) < t.actionWaitMs) return { kind: 'wait' };
    return { kind: 'open-case', submissionId, note: 'matched, but no order followed', failureCode: null };
  }
  if (submission.classifiedAt === null && since(scannedAt) < t.classificationWaitMs) return { kind: 'wait' };
  return {
    kind: 'open-case',
    submissionId,
    note:
      submission.decision === 'suppressed'
        ? 'matched an allow list only'
        : 'no known match; the classifier did not flag it',
    failureCode: null,
  };
}

/**
 * Decides a crawled page's next step from its own submission (failed: not media) and its embedded images' (those
 * that exist, in the page's order). Any image's orders settle the subject as actioned, linked to them all; a review
 * case the pipeline opened for an image is joined; while any image is still on its way (each as `routeSubject`
 * would wait for it, an image not yet recorded up to `rerouteAfterMs` after the page), it waits; otherwise a person
 * assesses the page, its case listing the images scanned.
 */
export function routePage(
  page: SubjectSubmission,
  embedded: readonly SubjectSubmission[],
  now: Date,
  t: RoutingTimings,
): RoutingStep {
  const orderIds = [...new Set(embedded.flatMap((e) => e.orderIds))].sort();
  const matched = embedded.filter((e) => e.orderIds.length > 0);
  if (matched[0] !== undefined)
    return {
      kind: 'actioned',
      submissionId: matched[0].id,
      orderIds,
      reason: `an image the page shows matched a known list (${matched
        .map((e) => e.url ?? e.id)
        .join(', ')
        .slice(0, 2000)}); orders issued by policy`,
    };
  const byId = new Map(embedded.map((e) => [e.id, e]));
  const pageAge = now.getTime() - page.receivedAt.getTime();
  let joined: Extract<RoutingStep, { kind: 'join-case' }> | null = null;
  for (const id of page.embeddedSubmissionIds) {
    const e = byId.get(id);
    if (e === undefined) {
      if (pageAge < t.rerouteAfterMs) return { kind: 'wait' };
      continue;
    }
    // Each image as a subject of its own that was routed when it was received, with no resends left.
    const step = routeSubject({ routedAt: e.receivedAt, routeAttempts: t.maxRouteAttempts }, e, now, t);
    if (step.kind === 'wait') return step;
    if (step.kind === 'join-case' && joined === null) joined = step;
  }
  if (joined !== null) return joined;
  const embeddedImages: EmbeddedImage[] = page.embeddedSubmissionIds.map((id) => {
    const e = byId.get(id);
    const source = page.embeddedImageSources[id];
    const image: EmbeddedImage =
      e === undefined
        ? { submissionId: id, url: null, status: 'missing', decision: null }
        : { submissionId: id, url: e.url, status: e.status, decision: e.decision };
    return source === undefined ? image : { ...image, source };
  });
  const scanned = embeddedImages.filter((e) => e.status === 'scanned').length;
  // Images the page shows that were never submitted (beyond the cap, refused by the fetcher, inline, not http(s)):
  // the person must not read that every image was looked at.
  const shown = Math.max(page.embeddedImagesShown ?? 0, embeddedImages.length);
  const unscanned =
    shown > embeddedImages.length
      ? `; ${shown - embeddedImages.length} more it shows not scanned (beyond the cap, refused by the fetcher, inline or not http(s))`
      : '';
  // A match the actioner did not turn into orders in time (backlog, a refused verdict) is said as such: the person
  // must not read that nothing the page shows is known.
  const matchedUrls = embeddedImages
    .filter((e) => e.decision === 'match')
    .map((e) => e.url ?? e.submissionId);
  return {
    kind: 'open-case',
    submissionId: page.id,
    note:
      matchedUrls.length > 0
        ? `a page: an image it shows matched a known list, but no order followed (${matchedUrls
            .join(', ')
            .slice(0, 2000)}); ${scanned} of the ${embeddedImages.length} images scanned${unscanned}`
        : `a page: ${scanned} of the ${embeddedImages.length} images it shows scanned, no known match${unscanned}`,
    failureCode: page.failureCode,
    embeddedImages,
    embeddedImagesShown: shown,
  };
}
