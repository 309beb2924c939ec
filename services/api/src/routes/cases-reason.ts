import { Type } from '@fastify/type-provider-typebox';
import { Value } from '@sinclair/typebox/value';
import { FramesUnexamined } from '@mod/contracts';
import type { CaseReason } from '@mod/policy';
import { integer as count, isObject, text, type Json } from './cases-findings.js';
import { Nullable } from './common.js';

/**
 * Why policy opened a case, as a code and its parameters (`CaseReason` of `@mod/policy`, kept in the case's
 * evidence as `caseReason`), so that the console says it in the reader's language; the case's `reason` stays the
 * English text stored and logged. Null for a case opened before cases carried a code, and for an escalation, whose
 * reason is the words of the person who escalated it.
 */
const Names = Type.Array(Type.String());
const Count = Type.Integer({ minimum: 0 });
const Withheld = Nullable(Type.String());

export const CaseReasonBody = Type.Union([
  Type.Object({ code: Type.Literal('review-bank-hit'), banks: Names }, { additionalProperties: false }),
  Type.Object(
    {
      code: Type.Literal('review-frames-unhashed'),
      examined: Count,
      count: Count,
      /** Why the scanner left frames unhashed, when its verdict says (no-decoder: an animated PNG's later frames). */
      why: Type.Optional(FramesUnexamined),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      code: Type.Literal('review-frames-unscored'),
      examined: Count,
      count: Count,
      /** Why the classifier left frames unscored: frame-limit, time-limit, decode-refused, no-decoder. */
      why: FramesUnexamined,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      code: Type.Literal('review-classifier'),
      riskScore: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      code: Type.Literal('confirm-automatic'),
      banks: Names,
      categories: Names,
      orders: Count,
      /** The platform a takedown was withheld from (the findings say why), null when none was. */
      takedownWithheldTo: Withheld,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      code: Type.Literal('confirm-confirmed'),
      confirmedBy: Type.String(),
      category: Type.String(),
      orders: Count,
      takedownWithheldTo: Withheld,
    },
    { additionalProperties: false },
  ),
]);

const names = (v: unknown): string[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
const score = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : null;

/** The orders and the withheld takedown of a confirmation case's reason, or null when either is malformed. */
function issued(r: Json): { orders: number; takedownWithheldTo: string | null } | null {
  const orders = count(r['orders']);
  const to = r['takedownWithheldTo'];
  if (orders === null || (to !== null && typeof to !== 'string')) return null;
  return { orders, takedownWithheldTo: to };
}

/** A confirmation case's reason: an automatic match's banks and categories, or who confirmed which category. */
function confirmationReason(r: Json): CaseReason | null {
  const orders = issued(r);
  if (orders === null) return null;
  if (r['code'] === 'confirm-automatic') {
    const banks = names(r['banks']);
    const categories = names(r['categories']);
    return banks === null || categories === null
      ? null
      : { code: 'confirm-automatic', banks, categories, ...orders };
  }
  const confirmedBy = text(r['confirmedBy']);
  const category = text(r['category']);
  return confirmedBy === null || category === null
    ? null
    : { code: 'confirm-confirmed', confirmedBy, category, ...orders };
}

/**
 * The case's reason as a code, read tolerantly from its evidence: anything malformed or unknown is null (the
 * console then shows the stored English reason), never a refused answer.
 */
export function caseReasonOf(evidence: unknown, kind: string): CaseReason | null {
  if (kind === 'escalation' || !isObject(evidence)) return null;
  const r = evidence['caseReason'];
  if (!isObject(r)) return null;
  switch (r['code']) {
    case 'review-bank-hit': {
      const banks = names(r['banks']);
      return banks === null ? null : { code: 'review-bank-hit', banks };
    }
    case 'review-frames-unhashed': {
      const examined = count(r['examined']);
      const frames = count(r['count']);
      if (examined === null || frames === null) return null;
      const why = r['why'];
      return Value.Check(FramesUnexamined, why)
        ? { code: 'review-frames-unhashed', examined, count: frames, why }
        : { code: 'review-frames-unhashed', examined, count: frames };
    }
    case 'review-frames-unscored': {
      const examined = count(r['examined']);
      const frames = count(r['count']);
      const why = r['why'];
      return examined === null || frames === null || !Value.Check(FramesUnexamined, why)
        ? null
        : { code: 'review-frames-unscored', examined, count: frames, why };
    }
    case 'review-classifier':
      return { code: 'review-classifier', riskScore: score(r['riskScore']) };
    case 'confirm-automatic':
    case 'confirm-confirmed':
      return confirmationReason(r);
    default:
      return null;
  }
}
