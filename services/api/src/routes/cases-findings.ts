import { Type } from '@fastify/type-provider-typebox';
import { Nullable } from './common.js';

/**
 * What a case's evidence says a person must see before deciding, as typed fields of the case detail (the evidence
 * itself stays as policy wrote it, `evidence`): each hit with the frame it matched on, how many frames of a
 * multi-frame file were examined (by the scanner, and scored by the classifier), and the takedown policy withheld. Read from the evidence tolerantly: a field it
 * lacks (a case opened before frames were hashed) is null, never a refused answer.
 */

/** One hit of the case's evidence: which bank and signal, how close, and on which frame (null: the whole file). */
export const CaseHitBody = Type.Object(
  {
    bankId: Nullable(Type.String()),
    bankName: Nullable(Type.String()),
    signal: Nullable(Type.String()),
    distance: Type.Union([Type.Integer(), Type.Null()]),
    category: Nullable(Type.String()),
    actionPolicy: Nullable(Type.String()),
    /** A known-benign (negative) bank's hit: on a frame it clears that frame only. */
    negative: Type.Boolean(),
    /** The frame the perceptual hash matched on, from 0; null for a still image's and an exact hit (the file's). */
    frame: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  { additionalProperties: false },
);

/** A multi-frame file's frames: `examined` leading frames of `count`, `hashed` distinct ones among them. */
export const CaseFramesBody = Type.Object(
  {
    count: Type.Integer({ minimum: 0 }),
    examined: Type.Integer({ minimum: 0 }),
    hashed: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * The frames of a multi-frame file the classifier scored: `examined` leading frames of `count`, `scored` distinct ones
 * among them, `riskFrame` (from 0) the one whose risk the case shows, the highest; `unexamined` why frames were left
 * unscored (frame-limit, time-limit, decode-refused, no-decoder), null when none was.
 */
export const CaseClassifierFramesBody = Type.Object(
  {
    count: Type.Integer({ minimum: 0 }),
    examined: Type.Integer({ minimum: 0 }),
    scored: Type.Integer({ minimum: 0 }),
    riskFrame: Type.Integer({ minimum: 0 }),
    unexamined: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * A takedown policy did not send (`takedownTarget` of `@mod/policy`): the URL's host is another platform's and the
 * submitter only claims the URL. `url` is the submission's URL as the case shows it (null once erased).
 */
export const TakedownWithheldBody = Type.Object(
  {
    reason: Type.String(),
    host: Type.String(),
    /** The platform the takedown would have gone to, which was sent nothing. */
    platformTenantId: Type.String(),
    /** The tenant that submitted the media and claimed its URL. */
    submitterTenantId: Type.String(),
    url: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

/** A JSON object of a case's evidence, as read (tolerantly) here and in cases-reason.ts. */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** A whole number from 0, or null. */
export const integer = (v: unknown): number | null =>
  Number.isInteger(v) && (v as number) >= 0 ? (v as number) : null;

function hitOf(h: Json) {
  return {
    bankId: text(h['bankId']),
    bankName: text(h['bankName']),
    signal: text(h['signal']),
    distance: integer(h['distance']),
    category: text(h['category']),
    actionPolicy: text(h['actionPolicy']),
    negative: h['negative'] === true,
    frame: integer(h['frame']),
  };
}

function framesOf(f: unknown) {
  if (!isObject(f)) return null;
  const count = integer(f['count']);
  const examined = integer(f['examined']);
  const hashed = integer(f['hashed']);
  return count === null || examined === null || hashed === null ? null : { count, examined, hashed };
}

function classifierFramesOf(c: unknown) {
  const f = isObject(c) ? c['frames'] : null;
  if (!isObject(f)) return null;
  const count = integer(f['count']);
  const examined = integer(f['examined']);
  const scored = integer(f['scored']);
  const riskFrame = integer(f['riskFrame']);
  if (count === null || examined === null || scored === null || riskFrame === null) return null;
  return { count, examined, scored, riskFrame, unexamined: text(f['unexamined']) };
}

function withheldOf(w: unknown, submissionUrl: string | null) {
  if (!isObject(w)) return null;
  const reason = text(w['reason']);
  const host = text(w['host']);
  const platformTenantId = text(w['platformTenantId']);
  const submitterTenantId = text(w['submitterTenantId']);
  if (reason === null || host === null || platformTenantId === null || submitterTenantId === null)
    return null;
  // The URL only as the submission still holds it: an address erased from the submission is not shown from here.
  const url = text(w['url']);
  return {
    reason,
    host,
    platformTenantId,
    submitterTenantId,
    url: url !== null && url === submissionUrl ? url : null,
  };
}

/** The case detail's typed findings from its evidence and its submission's URL (null: none, or erased). */
export function caseFindings(evidence: unknown, submissionUrl: string | null) {
  const e = isObject(evidence) ? evidence : {};
  const hits = Array.isArray(e['hits']) ? e['hits'].filter(isObject).map(hitOf) : [];
  return {
    hits,
    frames: framesOf(e['frames']),
    classifierFrames: classifierFramesOf(e['classification']),
    takedownWithheld: withheldOf(e['takedownWithheld'], submissionUrl),
  };
}
