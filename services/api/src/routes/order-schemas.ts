import { Type } from '@fastify/type-provider-typebox';
import { EscalationReasonCode } from '@mod/contracts';
import { Nullable, Uuid } from './common.js';
import { BlockApplicationBody } from './order-application.js';

const Time = Type.String();

/** An order as the API answers it (the full lifecycle view). */
export const OrderBody = Type.Object(
  {
    id: Uuid,
    kind: Type.Union([Type.Literal('takedown'), Type.Literal('blocking')]),
    subject: Type.Object(
      {
        type: Type.Union([Type.Literal('content-hash'), Type.Literal('url'), Type.Literal('host')]),
        value: Type.String(),
      },
      { additionalProperties: false },
    ),
    targetTenantId: Type.String(),
    status: Type.String(),
    legalBasis: Type.String(),
    issuer: Type.Unknown(),
    issuerTenantId: Nullable(Type.String()),
    issuedAt: Time,
    deadlineAt: Time,
    overdue: Type.Boolean(),
    clock: Type.Object(
      {
        pausedAt: Nullable(Time),
        escalatedAt: Nullable(Time),
        nextNoticeAt: Nullable(Time),
        noticesSent: Type.Integer(),
        renoticeIntervalMs: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    confirmedAt: Nullable(Time),
    confirmedBy: Nullable(Type.String()),
    confirmedByTenantId: Nullable(Type.String()),
    deliveredAt: Nullable(Time),
    acknowledgedAt: Nullable(Time),
    actionedAt: Nullable(Time),
    verifiedAt: Nullable(Time),
    verifyUrl: Nullable(Type.String()),
    verificationFailures: Type.Integer(),
    evidence: Type.Unknown(),
    policyVersion: Type.String(),
    submissionId: Nullable(Type.String()),
    createdAt: Time,
    updatedAt: Time,
    /**
     * The order's own events (a folded request's never include the shared order's). An escalation says why as a
     * code too (`deadline-missed`, `verification-inconclusive`), for a reader's own language; `note` is English.
     */
    history: Type.Array(
      Type.Object(
        {
          status: Type.String(),
          at: Time,
          actor: Type.String(),
          note: Nullable(Type.String()),
          escalationReason: Type.Optional(EscalationReasonCode),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * A request folded into an order that already covered the same kind, subject and target: its status,
     * deadline and clock are that order's (the target received one order); only `withdraw` applies to it.
     */
    folded: Type.Boolean(),
    /** The order a folded request is folded into: oversight (reviewers, admins) only; null for everyone else. */
    foldedInto: Nullable(Uuid),
    /**
     * A blocking request, read alone (`GET /v1/orders/:id`): how its ISP applies it (DNS through the RPZ, host
     * or URL filter through the domain and URL lists, or no feed at all), whether its feed lists it, and the
     * ISP's latest acknowledgement. Absent elsewhere and for takedowns.
     */
    application: Type.Optional(BlockApplicationBody),
  },
  { additionalProperties: false },
);

export const OrderParams = Type.Object({ id: Uuid }, { additionalProperties: false });
