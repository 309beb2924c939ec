import { kindsInQueue, type CaseKind, type QueueRole } from './case-life.js';
import type { Category } from './decisions.js';
import { refuse, ReviewRefusalCode, type ReviewRefusal } from './refusals.js';

/**
 * Which cases a queue lists: `waiting` (open, nobody's live claim), `claimed` (a live claim), `open` (both),
 * `decided`, or `all`.
 */
export const QueueStatuses = ['waiting', 'claimed', 'open', 'decided', 'all'] as const;
export type QueueStatus = (typeof QueueStatuses)[number];

/** A queue request after checking: oldest first, keyset-paginated. */
export interface QueueFilter {
  role: QueueRole;
  status: QueueStatus;
  /** Only cases of this kind (one of the role's queue). */
  kind?: CaseKind;
  /** Only cases about this tenant's content. */
  tenantId?: string;
  /** Only cases whose reason contains this text (case-insensitive). */
  reason?: string;
  /** Classifier risk score range, inclusive (cases without a score are left out when either is set). */
  minScore?: number;
  maxScore?: number;
  /** Age range in minutes since the case opened. */
  minAgeMinutes?: number;
  maxAgeMinutes?: number;
  /** The decided category, or for undecided cases a category among the bank hits. */
  category?: Category;
}

/** Checks what the schema cannot: the kind belongs to the role's queue, ranges hold. */
export function checkQueueFilter(f: QueueFilter): QueueFilter | ReviewRefusal {
  if (f.kind !== undefined && !kindsInQueue(f.role).includes(f.kind))
    return refuse(ReviewRefusalCode.FilterInvalid, `the ${f.role} queue holds no ${f.kind} cases`);
  for (const s of [f.minScore, f.maxScore])
    if (s !== undefined && !(s >= 0 && s <= 1))
      return refuse(ReviewRefusalCode.FilterInvalid, 'scores are between 0 and 1');
  if (f.minScore !== undefined && f.maxScore !== undefined && f.minScore > f.maxScore)
    return refuse(ReviewRefusalCode.FilterInvalid, 'minScore is above maxScore');
  for (const a of [f.minAgeMinutes, f.maxAgeMinutes])
    if (a !== undefined && !(Number.isFinite(a) && a >= 0))
      return refuse(ReviewRefusalCode.FilterInvalid, 'ages are minutes, 0 or more');
  if (f.minAgeMinutes !== undefined && f.maxAgeMinutes !== undefined && f.minAgeMinutes > f.maxAgeMinutes)
    return refuse(ReviewRefusalCode.FilterInvalid, 'minAgeMinutes is above maxAgeMinutes');
  return f;
}

/** Where a page ended: the last case's opening time and id (the queue's order). */
export interface QueuePosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * A time as `toISOString` writes a row's (years 1000-9999). It writes JavaScript's extreme years too (-271821,
 * before the database's range, and +275760), which round-trip as well: a cursor forged with one failed the query.
 */
const ISO_TIME = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An opaque cursor for the next page (base64url of the position). */
export function encodeCursor(p: QueuePosition): string {
  return Buffer.from(`${p.createdAt.toISOString()}|${p.id}`, 'utf8').toString('base64url');
}

/**
 * The position a cursor names, or a refusal for anything `encodeCursor` did not make: a hand-made cursor with a
 * time or id the database cannot read (a year out of its range, a time only JavaScript parses, month 13, 36
 * dashes for an id) would otherwise fail in the query.
 */
export function decodeCursor(cursor: string): QueuePosition | ReviewRefusal {
  const bad = refuse(ReviewRefusalCode.CursorInvalid, 'not a cursor of this queue');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return bad;
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || at === undefined || id === undefined || !UUID.test(id) || !ISO_TIME.test(at))
    return bad;
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) return bad;
  return { createdAt, id };
}
