import type { Answer } from '../api/types.js';

/**
 * The reports page's pure rules (issue 23): the deadline state of a report, who owned a step in words, the keyset
 * page after a list, the days of a range in a time zone, and the report context of a review case's evidence.
 */
export type Report = Answer<'/v1/reports', 'get'>['reports'][number];
export type ReportDetail = Answer<'/v1/reports/{id}', 'get'>;
export type ReportStep = ReportDetail['steps'][number];
export type ReportStats = Answer<'/v1/report-stats', 'get'>;

export const REPORT_STATUSES = ['received', 'assessing', 'actioned', 'no-action'] as const;
export const REPORT_CHANNELS = ['web', 'hotline', 'platform'] as const;
export const REPORT_CATEGORIES = ['csam', 'grooming', 'sextortion', 'self-generated', 'other'] as const;
/** The steps the report router records (anything else is shown as it is). */
export const REPORT_STEPS = [
  'received',
  'routed',
  'folded',
  'rerouted',
  'case-opened',
  'assigned',
  'claimed',
  'released',
  'escalated',
  'actioned',
  'no-action',
] as const;
export type ReportStepName = (typeof REPORT_STEPS)[number];

// The lists above are the API's: a value the API adds and the console does not know fails the build here.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameStatuses: Exactly<Report['status'], (typeof REPORT_STATUSES)[number]> = true;
const sameChannels: Exactly<Report['channel'], (typeof REPORT_CHANNELS)[number]> = true;
const sameCategories: Exactly<Report['category'], (typeof REPORT_CATEGORIES)[number]> = true;
void [sameStatuses, sameChannels, sameCategories];

/** Page size of the list. */
export const REPORT_PAGE = 50;

/** Where a report stands against its deadline at `now`. */
export type ReportDeadline =
  | { kind: 'running'; leftMs: number }
  | { kind: 'overdue'; byMs: number }
  | { kind: 'done'; lateMs: number | null };

export function reportDeadline(r: Pick<Report, 'dueAt' | 'outcomeAt'>, now: number): ReportDeadline {
  const due = Date.parse(r.dueAt);
  if (r.outcomeAt !== null) {
    const late = Date.parse(r.outcomeAt) - due;
    return { kind: 'done', lateMs: late > 0 ? late : null };
  }
  return due >= now ? { kind: 'running', leftMs: due - now } : { kind: 'overdue', byMs: now - due };
}

/** Whether the report is (or was) past its deadline: open and overdue, or settled late. */
export const isOverdue = (d: ReportDeadline): boolean =>
  d.kind === 'overdue' || (d.kind === 'done' && d.lateMs !== null);

/** Who owned a step, as the page names them. */
export type StepOwner =
  | { kind: 'person'; name: string }
  | { kind: 'system'; which: 'system:pipeline' | 'system:queue' }
  | { kind: 'public'; channel: string }
  | { kind: 'key'; id: string }
  | { kind: 'id'; id: string };

export function stepOwner(s: Pick<ReportStep, 'owner' | 'ownerName'>): StepOwner {
  if (s.ownerName !== null && s.ownerName !== '') return { kind: 'person', name: s.ownerName };
  if (s.owner === 'system:pipeline' || s.owner === 'system:queue') return { kind: 'system', which: s.owner };
  if (s.owner.startsWith('public:')) return { kind: 'public', channel: s.owner.slice('public:'.length) };
  if (s.owner.startsWith('key:')) return { kind: 'key', id: s.owner.slice('key:'.length) };
  return { kind: 'id', id: s.owner };
}

/** The keyset query of the page after `page` (newest first), or null when it was the last. */
export function nextPageAfter(
  page: readonly Pick<Report, 'receivedAt' | 'id'>[],
  limit: number,
): { beforeReceivedAt: string; beforeId: string } | null {
  const last = page.at(-1);
  return page.length < limit || last === undefined
    ? null
    : { beforeReceivedAt: last.receivedAt, beforeId: last.id };
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayIn(at: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** The day `n` days after `day` (YYYY-MM-DD, calendar arithmetic). */
export function addDays(day: string, n: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Milliseconds the zone is ahead of UTC at an instant. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const v = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant a day (YYYY-MM-DD) begins in a time zone, as ISO 8601 UTC. */
export function dayStart(day: string, timeZone: string): string {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  // Twice: the offset at the first guess may differ from the one at the answer across a change of offset.
  let at = midnightUtc - zoneOffsetMs(midnightUtc, timeZone);
  at = midnightUtc - zoneOffsetMs(at, timeZone);
  return new Date(at).toISOString();
}

/** The default range: the last 30 days, today included, in the zone. */
export function defaultRange(now: Date, timeZone: string): { from: string; to: string } {
  const to = dayIn(now, timeZone);
  return { from: addDays(to, -29), to };
}

/** The API's [from, to) of a range of days, both inclusive, in a time zone. */
export function rangeQuery(range: { from: string; to: string }, timeZone: string) {
  return { from: dayStart(range.from, timeZone), to: dayStart(addDays(range.to, 1), timeZone) };
}

/** What reporters said about a case's URL (`evidence.report` of a case opened from reports). */
export interface CaseReportContext {
  /** '' once erased at the end of its retention (`urlErasedAt` says when, if the pass said). */
  url: string;
  urlErasedAt: string | null;
  reports: number;
  channels: string[];
  categories: string[];
  /** `textErasedAt`: when the reporter's words went at the end of their retention (null: kept, or none given). */
  accounts: {
    channel: string;
    category: string;
    seenWhere: string | null;
    description: string | null;
    textErasedAt: string | null;
  }[];
  /**
   * A reported page's images and what the scan made of them (`evidence.embeddedImages`), in the page's order; an
   * image's `url` is null once erased with the page's (`urlErasedAt`), '—' when the page never had one for it.
   */
  images: { url: string | null; status: string; decision: string | null; source: PageImageSource | null }[];
  /** How many images the page shows (`evidence.embeddedImagesShown`): those beyond `images` were never scanned. */
  imagesShown: number;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Where a page shows an image (`evidence.embeddedImages[].source`, the fetcher's word): an element, CSS, a frame. */
export type PageImageSource = 'img' | 'meta' | 'css' | 'frame';
const PAGE_IMAGE_SOURCES: readonly string[] = ['img', 'meta', 'css', 'frame'] satisfies PageImageSource[];
/** A known source, or null (cases opened before the fetcher said, or a value this console does not know). */
const sourceOf = (v: unknown): PageImageSource | null =>
  typeof v === 'string' && PAGE_IMAGE_SOURCES.includes(v) ? (v as PageImageSource) : null;
const texts = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
/** The objects of a JSON array, by field (nothing for a value that is not an array). */
const objects = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

/** The report context of a case's evidence (`source: "report"`), or null for any other case. */
export function reportContextOf(evidence: unknown): CaseReportContext | null {
  if (typeof evidence !== 'object' || evidence === null) return null;
  const e = evidence as {
    source?: unknown;
    report?: unknown;
    embeddedImages?: unknown;
    embeddedImagesShown?: unknown;
  };
  if (e.source !== 'report' || typeof e.report !== 'object' || e.report === null) return null;
  const r = e.report as Record<string, unknown>;
  const urlErasedAt = text(r['urlErasedAt']);
  const images = objects(e.embeddedImages).map((x) => ({
    url: text(x['url']) ?? (urlErasedAt === null ? '—' : null),
    status: text(x['status']) ?? '',
    decision: text(x['decision']),
    source: sourceOf(x['source']),
  }));
  return {
    url: text(r['url']) ?? '',
    urlErasedAt,
    reports: typeof r['reports'] === 'number' ? r['reports'] : 0,
    channels: texts(r['channels']),
    categories: texts(r['categories']),
    accounts: objects(r['accounts']).map((x) => ({
      channel: text(x['channel']) ?? '',
      category: text(x['category']) ?? '',
      seenWhere: text(x['seenWhere']),
      description: text(x['description']),
      textErasedAt: text(x['textErasedAt']),
    })),
    images,
    imagesShown:
      typeof e.embeddedImagesShown === 'number' && Number.isSafeInteger(e.embeddedImagesShown)
        ? Math.max(e.embeddedImagesShown, images.length)
        : images.length,
  };
}

/** What the scan made of one image a reported page shows, as its case lists it. */
export type PageImageOutcome = 'matched' | 'scanned' | 'failed' | 'not-scanned';

/**
 * One image's outcome: a scan that matched a known list is said so even when no order followed (the router opens the
 * page's case then too), never "no known match".
 */
export function pageImageOutcome(image: { status: string; decision: string | null }): PageImageOutcome {
  if (image.decision === 'match') return 'matched';
  if (image.status === 'scanned') return 'scanned';
  return image.status === 'failed' ? 'failed' : 'not-scanned';
}
