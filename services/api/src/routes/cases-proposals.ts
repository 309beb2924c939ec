import { Type } from '@fastify/type-provider-typebox';
import { addEntries } from '@mod/curation';
import { withTransaction, type Queryable } from '@mod/db';
import type { Role } from '@mod/db/access';
import { appendAudit } from '@mod/db/audit';
import { banksListing, getBank } from '@mod/db/banks';
import {
  decideBankProposal,
  getBankProposal,
  getCaseContent,
  getReviewCase,
  insertBankProposal,
  listBankProposals,
  type BankProposal,
} from '@mod/db/cases';
import { decideProposal, MAX_REASON_CHARS, proposalEntries, type ProposalVerdict } from '@mod/review';
import { principalOf } from '../auth.js';
import { badRequest, conflict, notFound } from '../errors.js';
import {
  auditActor,
  ErrorResponses,
  MAX_PAGE,
  nextCursorAfter,
  Nullable,
  pagePosition,
  Text,
  Timestamp,
  Uuid,
  type TypedApp,
} from './common.js';
import { hashesOf } from './cases-apply.js';
import {
  actorOf,
  CaseParams,
  caseScopeFor,
  personOf,
  refusalAnswer,
  type CasePartDeps,
} from './cases-common.js';
import { answering } from './curation-errors.js';
import { COMMAND_ROUTE_HOOKS } from './order-commands.js';

const ProposalBody = Type.Object(
  {
    id: Uuid,
    caseId: Uuid,
    bankId: Uuid,
    tenantId: Nullable(Type.String()),
    entries: Type.Array(
      Type.Object(
        { signal: Type.String(), value: Type.String(), category: Nullable(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    note: Nullable(Type.String()),
    status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]),
    proposedBy: Type.String(),
    proposedAt: Timestamp,
    decidedBy: Nullable(Type.String()),
    decidedAt: Nullable(Timestamp),
    decisionReason: Nullable(Type.String()),
    entryIds: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Uuid }, { additionalProperties: false });

const proposalBody = (x: BankProposal) => ({
  ...x,
  proposedAt: x.proposedAt.toISOString(),
  decidedAt: x.decidedAt?.toISOString() ?? null,
});

/** Proposals are read by the curators who decide them, the reviewers who make them, and admins. */
const READERS: readonly Role[] = ['curator', 'reviewer', 'admin'];

/**
 * Bank proposals (under `/v1/bank-proposals`), each read as its case is (`caseScopeFor`: a reviewer bound to another
 * tenant than the operator's reads those of its cases only, another answers 404): a reviewer's decision proposes a
 * case's hashes for a bank (a negative bank for a dismissal); a curator who is another person approves (the entries are added and every
 * scanner told, in one transaction with the approval and its audit record) or rejects with a reason. The
 * proposer deciding their own proposal answers 403 MOD_ERR_API_SAME_PERSON; two people, never one.
 */
export async function bankProposalRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  app.get(
    '',
    {
      config: { roles: [...READERS], tenant: 'none' },
      schema: {
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { proposals: Type.Array(ProposalBody), nextCursor: Nullable(Type.String()) },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const after = pagePosition(req.query.cursor);
      const limit = req.query.limit ?? 50;
      const proposals = await listBankProposals(deps.db, {
        status: req.query.status,
        scope: caseScopeFor(principalOf(req)),
        after: after === undefined ? undefined : { at: after.createdAt, id: after.id },
        limit,
      });
      return {
        proposals: proposals.map(proposalBody),
        nextCursor: nextCursorAfter(proposals, limit, (last) => ({
          createdAt: last.proposedAt,
          id: last.id,
        })),
      };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: [...READERS], tenant: 'none' },
      schema: { params: Params, response: { 200: ProposalBody, ...ErrorResponses } },
    },
    async (req) => {
      const found = await getBankProposal(deps.db, req.params.id, { scope: caseScopeFor(principalOf(req)) });
      if (found === null) throw notFound('bank proposal');
      return proposalBody(found);
    },
  );

  const decideRoute = (verb: 'approve' | 'reject') =>
    app.post(
      `/:id/${verb}`,
      {
        config: { roles: ['curator'], tenant: 'none', sessionOnly: true },
        ...COMMAND_ROUTE_HOOKS,
        schema: {
          params: Params,
          body: Type.Object(
            verb === 'reject'
              ? { reason: Text(MAX_REASON_CHARS) }
              : { reason: Type.Optional(Text(MAX_REASON_CHARS)) },
            { additionalProperties: false },
          ),
          response: { 200: ProposalBody, ...ErrorResponses },
        },
      },
      async (req) => {
        const p = principalOf(req);
        personOf(p);
        const now = deps.now();
        const reason = (req.body as { reason?: string }).reason;
        const found = await getBankProposal(deps.db, req.params.id);
        if (found === null) throw notFound('bank proposal');
        const verdict = decideProposal(found, actorOf(p), verb, reason, now);
        if (!verdict.ok) throw refusalAnswer(verdict);
        /** Records the verdict and its audit record in the caller's transaction (a lost race rolls it back). */
        const record = async (c: Queryable, v: ProposalVerdict, entryIds: readonly string[]) => {
          if (!(await decideBankProposal(c, found.id, { ...v, entryIds })))
            throw conflict('the proposal was decided meanwhile');
          await appendAudit(c, {
            ...auditActor(p),
            action: verb === 'approve' ? 'bank_proposal.approved' : 'bank_proposal.rejected',
            subject: { type: 'bank-proposal', id: found.id },
            reason: v.reason,
            evidence: {
              caseId: found.caseId,
              bankId: found.bankId,
              proposedBy: found.proposedBy,
              entries: found.entries.length,
              added: entryIds.length,
            },
          });
        };
        if (verb === 'approve')
          await answering(() =>
            addEntries(
              deps.db,
              found.bankId,
              found.entries.map((e) => ({
                signal: e.signal,
                value: e.value,
                category: e.category,
                provenance: `case ${found.caseId}, proposed by person ${found.proposedBy}, approved by person ${verdict.decidedBy}`,
              })),
              deps.topics.bankChanges,
              {
                inTransaction: async (c, ids) => {
                  await stillFits(c, found);
                  await record(c, verdict, ids);
                },
              },
            ),
          );
        else await withTransaction(deps.db, (c) => record(c, verdict, []));
        const after = await getBankProposal(deps.db, found.id);
        if (after === null) throw notFound('bank proposal');
        return proposalBody(after);
      },
    );
  decideRoute('approve');
  decideRoute('reject');

  /**
   * The proposal rule, applied again to the bank as it is at the approval (its row shared-locked until the commit,
   * so no settings change slips in between): a bank turned negative since a confirmation's proposal would suppress
   * the confirmed abuse on every upload, one turned positive since a dismissal's would action what a reviewer
   * judged benign. 409 MOD_ERR_API_CONFLICT then, nothing added: propose again for a bank that fits.
   */
  async function stillFits(c: Queryable, proposal: BankProposal): Promise<void> {
    const decided = await getReviewCase(c, proposal.caseId, {
      scope: { all: true },
      reviewDeadlineHours: deps.review.timings.reviewDeadlineHours,
    });
    const bank = await getBank(c, proposal.bankId, { lock: true });
    if (decided === null || decided.decision === null || bank === null)
      throw conflict('the case or the bank of the proposal changed');
    const hashes = Object.fromEntries(proposal.entries.map((e) => [e.signal, e.value]));
    const entries = proposalEntries(decided.decision, decided.category, bank, hashes);
    if (!Array.isArray(entries))
      throw conflict(`the bank no longer fits the proposal (${entries.message}): propose again`);
    // The other side of the lists must not list the content: a dismissal's entry on the known-benign list would
    // suppress the abuse lists' hits on it, a confirmation's on an abuse list would never act while the
    // known-benign entry stays. A curator takes it off the other list first, as a decision of its own.
    const opposite = await banksListing(c, proposal.entries, { negative: !bank.negative });
    if (opposite.length > 0)
      throw conflict(
        bank.negative
          ? `the content is on the list(s) ${opposite.join(', ')}, whose hits a known-benign entry would suppress: take it off there first`
          : `the content is on the known-benign list(s) ${opposite.join(', ')}, which suppress every hit on it: take it off there first`,
      );
  }
}

/**
 * Proposing a decided case's hashes for a bank after the decision (`POST /v1/cases/:id/proposals`): a reviewer or
 * a curator, for a confirmed case (a bank that is not negative) or a dismissed one (a negative bank). Another
 * person decides it, as every proposal.
 */
export async function caseProposalRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  app.post(
    '/:id/proposals',
    {
      config: {
        roles: ['reviewer', 'curator'],
        tenant: 'own',
        crossTenant: ['reviewer', 'curator'],
        sessionOnly: true,
      },
      schema: {
        params: CaseParams,
        body: Type.Object({ bankId: Uuid, note: Type.Optional(Text(2000)) }, { additionalProperties: false }),
        response: { 201: ProposalBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const personId = personOf(p);
      const now = deps.now();
      const made = await withTransaction(deps.db, async (c) => {
        const stored = await getReviewCase(c, req.params.id, {
          scope: caseScopeFor(p),
          reviewDeadlineHours: deps.review.timings.reviewDeadlineHours,
        });
        if (stored === null) throw notFound('case');
        if (stored.decision === null)
          throw conflict('the case is not decided yet: propose with the decision');
        const content = stored.submissionId === null ? null : await getCaseContent(c, stored.submissionId);
        if (content === null) throw conflict('the case names no submission');
        const bank = await getBank(c, req.body.bankId);
        if (bank === null) throw badRequest('MOD_ERR_API_VALIDATION', 'bankId names no hash bank');
        const entries = proposalEntries(stored.decision, stored.category, bank, hashesOf(content));
        if (!Array.isArray(entries)) throw refusalAnswer(entries);
        const note = req.body.note?.trim() ?? null;
        const inserted = await insertBankProposal(c, {
          caseId: stored.id,
          bankId: bank.id,
          tenantId: stored.tenantId,
          entries,
          note: note === '' ? null : note,
          proposedBy: personId,
          proposedAt: now,
        });
        if (!inserted.created) throw conflict('this case is proposed for this bank already');
        await appendAudit(c, {
          ...auditActor(p),
          action: 'bank_proposal.created',
          subject: { type: 'bank-proposal', id: inserted.id },
          reason: note,
          evidence: { caseId: stored.id, bankId: bank.id, entries: entries.length },
        });
        return inserted.id;
      });
      const proposal = await getBankProposal(deps.db, made);
      if (proposal === null) throw notFound('bank proposal');
      return reply.code(201).send(proposalBody(proposal));
    },
  );
}
