import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { getTenant } from '@mod/db/access';
import { getLegalBasis, getOrder, issueOrderRequest } from '@mod/db/orders';
import { getSubmission } from '@mod/db/submissions';
import { isDnsName, isRegistrySuffix, normalizePattern, normalizeUrl, writtenUrlProblem } from '@mod/urls';
import { actorLabelOf, principalOf } from '../auth.js';
import { orderScopeFor, submissionScopeFor } from '../authz.js';
import { badRequest, conflict, notFound } from '../errors.js';
import {
  auditCallerChange,
  ErrorResponses,
  Text,
  Timestamp,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { orderCommandRoute, orderTopicsOf, ReasonBody } from './order-commands.js';
import { announceOrderRequest } from './order-requests.js';
import { OrderBody } from './order-schemas.js';

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
 * How far ahead a deadline may lie: ten years. Order messages carry times with four-digit years, so a deadline
 * near the end of 9999 (a "no deadline" sentinel) could be taken, after which a resume or an extension by hours
 * moved it past what a message can carry and the command failed with 500, every time.
 */
const MAX_DEADLINE_AHEAD_MS = 3652 * 24 * HOUR_MS;

/** Refuses a deadline further ahead of `now` than {@link MAX_DEADLINE_AHEAD_MS}. */
function checkDeadlineHorizon(deadlineAt: Date, now: Date): void {
  if (deadlineAt.getTime() > now.getTime() + MAX_DEADLINE_AHEAD_MS)
    throw badRequest('MOD_ERR_API_VALIDATION', 'the deadline must be at most ten years ahead');
}

/**
 * A URL subject is an http(s) URL and a host subject a bare host name or IP address (no scheme needed; no port,
 * path, query or credentials), as the URL normaliser reads them: anything else would be taken and then never
 * reach a feed (the feed leaves out what it cannot read) or be blocked as some other name. Returns the subject's
 * value as the order keeps it: a host as the name the feeds block (lower case, no trailing dot, punycode, an IP
 * address in its usual notation), so that the order shows what it blocks and every spelling of one name folds
 * into one order; any other subject as given.
 */
function checkedSubjectValue(subject: { type: string; value: string }): string {
  if (subject.type === 'url') {
    const url = normalizeUrl(subject.value);
    if (!url.ok)
      throw badRequest('MOD_ERR_API_VALIDATION', `a url subject is an http(s) URL: ${url.error.message}`);
    // The feeds block the URL without its credentials: `https://www.bank.example@bad.example/` would read as
    // the bank's site to the target and in the audit trail (or hand the target a password).
    const given = URL.parse(subject.value.trim());
    if (given !== null && (given.username !== '' || given.password !== ''))
      throw badRequest('MOD_ERR_API_VALIDATION', 'a url subject carries no credentials (user:password@)');
    // The same for a backslash, which the parsers read as a slash: `https://evil.example\.bank.example/` is a page
    // of evil.example to the feeds and the verifier, and reads as a name under bank.example to the target.
    if (subject.value.includes('\\'))
      throw badRequest(
        'MOD_ERR_API_VALIDATION',
        'a url subject writes its slashes as / (a backslash as %5C)',
      );
    // And for what else the parsers repair: an empty authority (`https:///p/1` is a page of host `p`, kept and sent
    // as written).
    const written = writtenUrlProblem(subject.value);
    if (written !== null) throw badRequest('MOD_ERR_API_VALIDATION', `a url subject: ${written}`);
  } else if (subject.type === 'host') {
    const host = normalizePattern(subject.value);
    if (!host.ok || host.url.key !== `${host.url.host}/` || /[@/\\?#]/.test(subject.value))
      throw badRequest(
        'MOD_ERR_API_VALIDATION',
        'a host subject is a host name or IP address alone, without scheme, port, path or credentials',
      );
    // A name the WHATWG parser takes but DNS does not (`*.com`, `a"b.example`, `x;$include`, a label over 63
    // characters) is never listed in the RPZ, and an ISP reading `*.com` as a wildcard would block every .com name.
    if (host.url.hostType === 'domain' && !isDnsName(host.url.host))
      throw badRequest(
        'MOD_ERR_API_VALIDATION',
        'a host subject is a DNS name: labels of letters, digits, hyphens and underscores, at most 63 characters each',
      );
    // A blocked host is blocked with every name under it (the RPZ lists `*.host` too): never a whole top-level
    // or public second-level domain (vn, com.vn), nor a suffix of the Public Suffix List's private section
    // (github.io, blogspot.com: every customer's site), as URL lists refuse them for their entries.
    if (
      host.url.hostType === 'domain' &&
      (host.url.registrableDomain === null || isRegistrySuffix(host.url.host))
    )
      throw badRequest(
        'MOD_ERR_API_VALIDATION',
        `a host subject is a name under a public suffix, not the suffix itself: ${host.url.host} would block every name under it`,
      );
    return host.url.host;
  }
  return subject.value;
}

/**
 * Authorities issue orders by hand and steer the orders in their scope: confirm an automatic one, extend its deadline,
 * pause and resume its clock (awaiting clarification), withdraw it. Each change is audited and announced to
 * the target (order-events topic and its webhook).
 *
 * An order asked for while an open order covers the same kind, subject and target is kept as the caller's own
 * request, folded into that order (`issueOrderRequest` in @mod/db): answered like a fresh order (201, the
 * request's own fields), never with the other order's note, evidence, issuer or history.
 */
export async function orderAuthorityRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const { now } = deps;

  app.post(
    '',
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
            /**
             * URL to re-fetch once the target reports the takedown done (default: a URL subject): an http(s) URL
             * without credentials, as a url subject is (it reaches the target as its request's `url`).
             */
            verifyUrl: Type.Optional(Text(8192)),
            submissionId: Type.Optional(Uuid),
            note: Type.Optional(Text(2000)),
          },
          { additionalProperties: false },
        ),
        response: { 201: OrderBody, ...ErrorResponses },
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
      // The targets `GET /targets` lists: a switched-off tenant receives no order (policy skips it too), or its
      // webhook and topic would go on carrying orders to a partner that was let go.
      if (target === null || target.kind !== wanted || target.disabledAt !== null)
        throw badRequest(
          'MOD_ERR_API_VALIDATION',
          `a ${b.kind} order is addressed to an existing ${wanted} tenant that is not switched off`,
        );
      if (b.subject.type === 'content-hash' && !/^[0-9a-f]{64}$/.test(b.subject.value))
        throw badRequest('MOD_ERR_API_VALIDATION', 'a content-hash subject is a lower-case hex SHA-256');
      const subjectValue = checkedSubjectValue(b.subject);
      const deadlineAt =
        b.deadlineAt === undefined
          ? new Date(at.getTime() + basis.deadlineMinutes * MINUTE_MS)
          : new Date(b.deadlineAt);
      if (deadlineAt <= at) throw badRequest('MOD_ERR_API_VALIDATION', 'the deadline must be in the future');
      checkDeadlineHorizon(deadlineAt, at);
      if (b.verifyUrl !== undefined) checkedSubjectValue({ type: 'url', value: b.verifyUrl });
      const verifyUrl =
        b.verifyUrl ?? (b.kind === 'takedown' && b.subject.type === 'url' ? b.subject.value : null);
      // Only a submission the caller may already read can be an order's evidence (naming one must not open
      // it); any other id answers exactly as an id of no submission.
      if (
        b.submissionId !== undefined &&
        (await getSubmission(deps.db, b.submissionId, submissionScopeFor(p))) === null
      )
        throw notFound('submission');
      const scope = orderScopeFor(authorityRoute, p);
      const topics = orderTopicsOf(deps);
      const order = await withTransaction(deps.db, async (c) => {
        const request = await issueOrderRequest(c, {
          kind: b.kind,
          subjectType: b.subject.type,
          subjectValue,
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
          actor: actorLabelOf(p),
          issuedAt: at,
          renoticeIntervalMs: basis.renoticeMinutes * MINUTE_MS,
          verifyUrl,
          issuerTenantId: p.tenantId,
        });
        await announceOrderRequest(c, topics, request, at);
        await auditCallerChange(c, p, {
          action: request.foldedInto === null ? 'order.issued' : 'order.folded',
          subject: { type: 'order', id: request.id },
          reason: b.note ?? `${b.kind} order by hand under ${basis.id}`,
          evidence: {
            target: b.targetTenantId,
            subjectType: b.subject.type,
            legalBasis: basis.id,
            deadlineAt: deadlineAt.toISOString(),
            ...(b.submissionId === undefined ? {} : { submissionId: b.submissionId }),
          },
        });
        const own = await getOrder(c, request.id, scope, at);
        if (own === null) throw conflict('order vanished');
        return own;
      });
      // 201 either way: whether another order covered the subject is no business of the status code.
      return reply.code(201).send(order);
    },
  );

  orderCommandRoute(app, deps, {
    verb: 'confirm',
    access: authorityRoute,
    /** Optional: no body, an empty body and `{}` confirm without a note. */
    body: Type.Object({ note: Type.Optional(Text(2000)) }, { additionalProperties: false }),
    action: 'order.confirmed',
    notify: () => [],
    command: (b) => ({ command: { type: 'confirm' }, reason: b.note ?? null }),
  });
  orderCommandRoute(app, deps, {
    verb: 'extend',
    access: authorityRoute,
    body: Type.Object(
      {
        /** New deadline, or `hours` added to the current one. */
        deadlineAt: Type.Optional(Timestamp),
        hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90 })),
        reason: Text(2000),
      },
      { additionalProperties: false },
    ),
    action: 'order.extended',
    notify: notifyTarget,
    command: async (b, order) => {
      if ((b.deadlineAt === undefined) === (b.hours === undefined))
        throw badRequest('MOD_ERR_API_VALIDATION', 'give exactly one of deadlineAt or hours');
      if (b.deadlineAt !== undefined) {
        const deadlineAt = new Date(b.deadlineAt);
        checkDeadlineHorizon(deadlineAt, now());
        return { command: { type: 'extend', deadlineAt, reason: b.reason }, reason: b.reason };
      }
      // Hours are added under the order's lock, to the deadline as it then stands (`extendedDeadline`); the
      // horizon is checked on the deadline read now (a racing command moves it by a pause at most).
      const byMs = (b.hours ?? 0) * HOUR_MS;
      const current = await getOrder(deps.db, order.id, order.scope);
      if (current === null) throw notFound('order');
      checkDeadlineHorizon(new Date(Date.parse(current.deadlineAt) + byMs), now());
      return { command: { type: 'extend', byMs, reason: b.reason }, reason: b.reason };
    },
  });
  orderCommandRoute(app, deps, {
    verb: 'pause',
    access: authorityRoute,
    body: ReasonBody,
    action: 'order.paused',
    notify: notifyTarget,
    command: (b) => ({ command: { type: 'pause', reason: b.reason }, reason: b.reason }),
  });
  orderCommandRoute(app, deps, {
    verb: 'resume',
    access: authorityRoute,
    action: 'order.resumed',
    notify: notifyTarget,
    command: () => ({ command: { type: 'resume' }, reason: null }),
  });
  orderCommandRoute(app, deps, {
    verb: 'withdraw',
    access: authorityRoute,
    body: ReasonBody,
    action: 'order.withdrawn',
    notify: notifyTarget,
    command: (b) => ({ command: { type: 'withdraw', reason: b.reason }, reason: b.reason }),
  });
}
