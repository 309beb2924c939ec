import type { UrlObserved } from '@mod/contracts';
import { withTransaction, type Pool, type PoolClient } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import { enqueueOutbox } from '@mod/db/outbox';
import { openCase } from '@mod/db/orders';
import {
  PIPELINE_OWNER,
  deleteExpiredFormTokens,
  findSubjectSubmission,
  findSubmissions,
  followEscalation,
  listCaseSubjectsToFollow,
  listRoutingSubjects,
  lockCaseSubject,
  lockRoutingSubject,
  markSubjectRerouted,
  moveSubjectToCase,
  setSubjectOwner,
  settleSubject,
  subjectReportContext,
  type CaseSubject,
  type RoutingSubject,
} from '@mod/db/reports';
import { claimSubmission, markSubmissionFailed } from '@mod/db/submissions';
import { Counter, type Logger, type Registry } from '@mod/telemetry';
import { urlSha256 } from '@mod/urls';
import type { Clock } from './clock.js';
import {
  bareSubjectSubmissionId,
  routePage,
  routeSubject,
  subjectSubmissionIds,
  type RoutingStep,
  type RoutingTimings,
} from './report-routing.js';

export interface ReportRouterOptions {
  db: Pool;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** The internal observed-URL topic a lost event is sent to again (through the outbox: the API relays it). */
  urlObservedTopic: string;
  policyVersion: string;
  timings: RoutingTimings;
  /** Subjects handled per pass. Default 200. */
  batch?: number;
}

export interface ReportRouter {
  /**
   * One pass: routing subjects moved on, case subjects followed, and the public form's expired tokens forgotten
   * (personal data at the end of its retention is the personal-data pass's: `createPersonalDataRetention`).
   */
  pass(): Promise<{ routed: number; followed: number; formTokensForgotten: number }>;
}

const SYSTEM = { kind: 'service' as const, id: 'actioner' };

/**
 * Moves citizens' reports through handling (issue 23). Each subject (a reported URL) went into the pipeline as an
 * observed-URL event; this pass reads what came of it (`routeSubject`): orders by policy settle it, a case the
 * pipeline opened is joined, anything else opens a review case with the reports as context. Subjects in review
 * follow their case: who holds it (the owner), its escalation, its decision (the outcome and its reason).
 */
export function createReportRouter(o: ReportRouterOptions): ReportRouter {
  const batch = o.batch ?? 200;
  const log = o.logger.child({ component: 'report-router' });
  const steps = new Counter({
    name: 'mod_reports_routing_steps_total',
    help: "Citizens' report subjects moved on by the router, by step (actioned, join-case, open-case, reroute, settled-*)",
    labelNames: ['step'],
    registers: [o.registry],
  });
  for (const step of [
    'actioned',
    'join-case',
    'open-case',
    'reroute',
    'settled-actioned',
    'settled-no-action',
  ])
    steps.inc({ step }, 0);

  async function openReportCase(
    c: PoolClient,
    s: RoutingSubject,
    step: Extract<RoutingStep, { kind: 'open-case' }>,
    now: Date,
  ): Promise<{ caseId: string; submissionId: string }> {
    let submissionId = step.submissionId;
    if (submissionId === null) {
      // No submission: one for the bare URL, so that the case has content to decide on (its URL, its digest).
      submissionId = bareSubjectSubmissionId(s.id);
      await claimSubmission(c, {
        id: submissionId,
        tenantId: s.tenantId,
        source: 'report',
        url: s.url,
        sha256: urlSha256(s.url),
      });
      await markSubmissionFailed(
        c,
        { id: submissionId, tenantId: s.tenantId },
        step.failureCode ?? 'MOD_ERR_REPORT_NOT_ROUTED',
      );
    }
    const context = await subjectReportContext(c, s.id);
    // Without scanned content the decision is about the URL itself: orders for it name it as their subject.
    const bare = step.failureCode !== null || step.submissionId === null;
    const opened = await openCase(c, {
      kind: 'review',
      submissionId,
      orderIds: [],
      reason: `citizen report: ${step.note}`,
      evidence: {
        source: 'report',
        report: { subjectId: s.id, url: s.url, ...context },
        ...(bare ? { subject: { type: 'url', value: s.url }, sha256: urlSha256(s.url) } : {}),
        ...(step.failureCode === null ? {} : { failureCode: step.failureCode }),
        ...(step.embeddedImages === undefined ? {} : { embeddedImages: step.embeddedImages }),
        ...(step.embeddedImagesShown === undefined ? {} : { embeddedImagesShown: step.embeddedImagesShown }),
        policyVersion: o.policyVersion,
      },
      policyVersion: o.policyVersion,
      createdAt: now,
    });
    if (opened.created)
      await appendAudit(c, {
        actor: SYSTEM,
        action: 'case.opened',
        tenantId: s.tenantId,
        subject: { type: 'case', id: opened.id },
        reason: `citizen report: ${step.note}`,
        evidence: { reportSubjectId: s.id, submissionId, reports: context.reports },
      });
    return { caseId: opened.id, submissionId };
  }

  async function route(c: PoolClient, s: RoutingSubject, now: Date): Promise<void> {
    const submission = await findSubjectSubmission(c, subjectSubmissionIds(s.eventId));
    // A crawled page: its images' submissions decide (the page itself is not media).
    const step =
      submission !== null && submission.embeddedSubmissionIds.length > 0
        ? routePage(submission, await findSubmissions(c, submission.embeddedSubmissionIds), now, o.timings)
        : routeSubject(s, submission, now, o.timings);
    if (step.kind === 'wait') return;
    steps.inc({ step: step.kind });
    switch (step.kind) {
      case 'reroute': {
        const event: UrlObserved = {
          eventId: s.eventId,
          tenantId: s.tenantId,
          source: 'api',
          url: s.url,
          observedAt: s.createdAt.toISOString(),
          purpose: 'report',
        };
        await enqueueOutbox(c, o.urlObservedTopic, new URL(s.url).host, event);
        await markSubjectRerouted(c, s.id, now);
        log.warn(
          { subjectId: s.id, attempts: s.routeAttempts + 1 },
          'nothing came of a reported URL; sent again',
        );
        return;
      }
      case 'actioned':
        await settleSubject(c, {
          id: s.id,
          status: 'actioned',
          reason: step.reason,
          orderIds: step.orderIds,
          submissionId: step.submissionId,
          owner: PIPELINE_OWNER,
          at: now,
        });
        steps.inc({ step: 'settled-actioned' });
        return;
      case 'join-case':
        await moveSubjectToCase(c, {
          id: s.id,
          caseId: step.caseId,
          submissionId: step.submissionId,
          at: now,
          note: 'the pipeline opened a review case for the content',
        });
        return;
      case 'open-case': {
        const opened = await openReportCase(c, s, step, now);
        await moveSubjectToCase(c, { id: s.id, ...opened, at: now, note: step.note });
        return;
      }
    }
  }

  async function follow(c: PoolClient, s: CaseSubject, now: Date): Promise<void> {
    if (s.caseStatus === 'open') {
      await setSubjectOwner(c, { id: s.id, owner: s.claimedBy, at: now });
      return;
    }
    if (s.decision === 'escalate' && s.escalationId !== null) {
      await followEscalation(c, {
        id: s.id,
        escalationId: s.escalationId,
        escalatedBy: s.decidedBy,
        at: now,
      });
      return;
    }
    const actioned = s.decision === 'confirm' || (s.decision === null && s.orderIds.length > 0);
    const reason =
      s.decisionReason ??
      (actioned ? 'confirmed; orders issued' : 'closed without a decision; no action possible');
    await settleSubject(c, {
      id: s.id,
      status: actioned ? 'actioned' : 'no-action',
      reason,
      orderIds: s.orderIds,
      submissionId: s.submissionId,
      owner: s.decidedBy ?? PIPELINE_OWNER,
      at: now,
    });
    steps.inc({ step: actioned ? 'settled-actioned' : 'settled-no-action' });
  }

  /**
   * Handles listed subjects one transaction each, each locked first (`skip locked`: another router has it, or it
   * moved on): a failure is logged and retried next pass, never holding back the others. Answers how many.
   */
  async function eachSubject<S>(
    list: (db: Pool, limit: number) => Promise<string[]>,
    lock: (c: PoolClient, id: string) => Promise<S | null>,
    handle: (c: PoolClient, s: S) => Promise<void>,
    what: string,
  ): Promise<number> {
    let handled = 0;
    for (const id of await list(o.db, batch)) {
      try {
        await withTransaction(o.db, async (c) => {
          const s = await lock(c, id);
          if (s !== null) await handle(c, s);
        });
        handled++;
      } catch (err) {
        log.warn({ err, subjectId: id }, `could not ${what} a reported URL; will retry`);
      }
    }
    return handled;
  }

  return {
    async pass() {
      const now = o.clock.now();
      const routed = await eachSubject(
        listRoutingSubjects,
        lockRoutingSubject,
        (c, s) => route(c, s, now),
        'route',
      );
      const followed = await eachSubject(
        listCaseSubjectsToFollow,
        lockCaseSubject,
        (c, s) => follow(c, s, now),
        'follow',
      );
      const formTokensForgotten = await deleteExpiredFormTokens(o.db, now);
      return { routed, followed, formTokensForgotten };
    },
  };
}
