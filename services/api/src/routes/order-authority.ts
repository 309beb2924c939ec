import { Type } from '@fastify/type-provider-typebox';
import {
  appendAudit,
  enqueueOrderIssued,
  getLegalBasis,
  getOrder,
  getTenant,
  openOrder,
  withTransaction,
} from '@mod/db';
import { orderScopeOf, principalOf } from '../auth.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { ErrorResponses, Text, Timestamp, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { commandForCaller, OrderBody, OrderParams, orderTopicsOf } from './order-schemas.js';

const AUTHORITIES = ['authority', 'admin'] as const;
/**
 * Authorities steer the orders in their scope (those they issued or confirmed, and automatic orders awaiting
 * confirmation: see `orderScopeFor`); admins steer every order; targets never reach these routes.
 */
const authorityRoute = { roles: [...AUTHORITIES], tenant: 'order' as const, crossTenant: ['admin' as const] };
const notifyTarget = (o: { targetTenantId: string }) => [o.targetTenantId];
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * Authorities issue orders by hand and steer the orders in their scope: confirm an automatic one, extend its deadline,
 * pause and resume its clock (awaiting clarification), withdraw it. Each change is audited and announced to
 * the target (order-events topic and its webhook).
 */
export function orderAuthorityRoutes(app: TypedApp, deps: RouteDeps): void {
  const now = deps.now ?? (() => new Date());

  app.post(
    '/v1/orders',
    {
      config: { roles: [...AUTHORITIES], tenant: 'none' },
      schema: {
        body: Type.Object(
          {
            kind: Type.Union([Type.Literal('takedown'), Type.Literal('blocking')]),
            targetTenantId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
            subject: Type.Object(
              {
                type: Type.Union([Type.Literal('url'), Type.Literal('host'), Type.Literal('content-hash')]),
                value: Text(8192),
              },
              { additionalProperties: false },
            ),
            /** Id of a configured legal basis (`legal_bases`): its deadline and re-notice interval apply. */
            legalBasisId: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$' }),
            /** Overrides the basis' deadline (must be in the future). */
            deadlineAt: Type.Optional(Timestamp),
            /** URL to re-fetch once the target reports the takedown done (default: a URL subject). */
            verifyUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 8192 })),
            submissionId: Type.Optional(Uuid),
            note: Type.Optional(Text(2000)),
          },
          { additionalProperties: false },
        ),
        response: { 201: OrderBody, 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const at = now();
      const basis = await getLegalBasis(deps.db, b.legalBasisId);
      if (basis === null) throw badRequest('MOD_ERR_API_VALIDATION', `unknown legal basis ${b.legalBasisId}`);
      const target = await getTenant(deps.db, b.targetTenantId);
      const wanted = b.kind === 'takedown' ? 'platform' : 'isp';
      if (target === null || target.kind !== wanted)
        throw badRequest(
          'MOD_ERR_API_VALIDATION',
          `a ${b.kind} order is addressed to an existing ${wanted} tenant`,
        );
      if (b.subject.type === 'content-hash' && !/^[0-9a-f]{64}$/.test(b.subject.value))
        throw badRequest('MOD_ERR_API_VALIDATION', 'a content-hash subject is a lower-case hex SHA-256');
      const deadlineAt =
        b.deadlineAt === undefined
          ? new Date(at.getTime() + basis.deadlineMinutes * MINUTE_MS)
          : new Date(b.deadlineAt);
      if (deadlineAt <= at) throw badRequest('MOD_ERR_API_VALIDATION', 'the deadline must be in the future');
      const verifyUrl =
        b.verifyUrl ?? (b.kind === 'takedown' && b.subject.type === 'url' ? b.subject.value : null);
      const result = await withTransaction(deps.db, async (c) => {
        const opened = await openOrder(c, {
          kind: b.kind,
          subjectType: b.subject.type,
          subjectValue: b.subject.value,
          targetTenantId: b.targetTenantId,
          legalBasis: basis.citation,
          issuer: { kind: 'authority', id: p.tenantId },
          deadlineAt,
          evidence: {
            ...(b.submissionId === undefined ? {} : { submissionId: b.submissionId }),
            ...(b.subject.type === 'content-hash' ? { sha256: b.subject.value } : {}),
            hits: [],
            policyVersion: `manual:${basis.id}`,
            ...(b.note === undefined ? {} : { note: b.note }),
          },
          policyVersion: `manual:${basis.id}`,
          submissionId: b.submissionId ?? null,
          actor: `${p.role}:${p.tenantId}:${p.keyId}`,
          issuedAt: at,
          renoticeIntervalMs: basis.renoticeMinutes * MINUTE_MS,
          verifyUrl,
          issuerTenantId: p.tenantId,
        });
        const order = await getOrder(c, opened.id, { all: true }, at);
        if (order === null) throw conflict('order vanished');
        if (opened.created) await enqueueOrderIssued(c, { topics: orderTopicsOf(deps), order, now: at });
        await appendAudit(c, {
          actor: { kind: 'user', id: p.keyId },
          role: p.role,
          tenantId: p.tenantId,
          action: opened.created ? 'order.issued' : 'order.folded',
          subject: { type: 'order', id: opened.id },
          reason: b.note ?? `${b.kind} order by hand under ${basis.id}`,
          evidence: {
            target: b.targetTenantId,
            subjectType: b.subject.type,
            legalBasis: basis.id,
            deadlineAt: deadlineAt.toISOString(),
          },
        });
        return { order, created: opened.created };
      });
      return reply.code(result.created ? 201 : 200).send(result.order);
    },
  );

  app.post(
    '/v1/orders/:id/confirm',
    {
      config: authorityRoute,
      schema: {
        params: OrderParams,
        body: Type.Optional(
          Type.Object({ note: Type.Optional(Text(2000)) }, { additionalProperties: false }),
        ),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'confirm' },
        action: 'order.confirmed',
        reason: req.body?.note ?? null,
        notify: () => [],
      }),
  );

  app.post(
    '/v1/orders/:id/extend',
    {
      config: authorityRoute,
      schema: {
        params: OrderParams,
        body: Type.Object(
          {
            /** New deadline, or `hours` added to the current one. */
            deadlineAt: Type.Optional(Timestamp),
            hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90 })),
            reason: Text(2000),
          },
          { additionalProperties: false },
        ),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const b = req.body;
      if ((b.deadlineAt === undefined) === (b.hours === undefined))
        throw badRequest('MOD_ERR_API_VALIDATION', 'give exactly one of deadlineAt or hours');
      const p = principalOf(req);
      let deadlineAt: Date;
      if (b.deadlineAt !== undefined) deadlineAt = new Date(b.deadlineAt);
      else {
        const current = await getOrder(deps.db, req.params.id, orderScopeOf(req));
        if (current === null) throw notFound('order');
        deadlineAt = new Date(Date.parse(current.deadlineAt) + (b.hours ?? 0) * HOUR_MS);
      }
      return commandForCaller(deps, p, orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'extend', deadlineAt, reason: b.reason },
        action: 'order.extended',
        reason: b.reason,
        notify: notifyTarget,
      });
    },
  );

  app.post(
    '/v1/orders/:id/pause',
    {
      config: authorityRoute,
      schema: {
        params: OrderParams,
        body: Type.Object({ reason: Text(2000) }, { additionalProperties: false }),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'pause', reason: req.body.reason },
        action: 'order.paused',
        reason: req.body.reason,
        notify: notifyTarget,
      }),
  );

  app.post(
    '/v1/orders/:id/resume',
    {
      config: authorityRoute,
      schema: { params: OrderParams, response: { 200: OrderBody, ...ErrorResponses } },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'resume' },
        action: 'order.resumed',
        reason: null,
        notify: notifyTarget,
      }),
  );

  app.post(
    '/v1/orders/:id/withdraw',
    {
      config: authorityRoute,
      schema: {
        params: OrderParams,
        body: Type.Object({ reason: Text(2000) }, { additionalProperties: false }),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'withdraw', reason: req.body.reason },
        action: 'order.withdrawn',
        reason: req.body.reason,
        notify: notifyTarget,
      }),
  );
}
