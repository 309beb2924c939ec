import type { PersonRole } from './people.js';
import type { Queryable } from './pool.js';

/** A reviewer's preview settings (the review core checks values; the table keeps them in range too). */
export interface StoredReviewSettings {
  previewBlur: boolean;
  previewMaxSide: number;
}

/** A person's settings, or null when they never changed the defaults. */
export async function getReviewSettings(
  db: Queryable,
  personId: string,
): Promise<StoredReviewSettings | null> {
  const { rows } = await db.query<{ preview_blur: boolean; preview_max_side: number }>(
    `/* api:get-review-settings */ select preview_blur, preview_max_side from review_settings where person_id = $1`,
    [personId],
  );
  const r = rows[0];
  return r === undefined ? null : { previewBlur: r.preview_blur, previewMaxSide: r.preview_max_side };
}

export async function saveReviewSettings(
  db: Queryable,
  personId: string,
  s: StoredReviewSettings,
  now: Date,
): Promise<void> {
  await db.query(
    `/* api:save-review-settings */ insert into review_settings (person_id, preview_blur, preview_max_side, updated_at)
     values ($1, $2, $3, $4) on conflict (person_id) do update set preview_blur = excluded.preview_blur,
       preview_max_side = excluded.preview_max_side, updated_at = excluded.updated_at`,
    [personId, s.previewBlur, s.previewMaxSide, now],
  );
}

/** What a person was shown of case media on a day: full-image reveals and previews. */
export interface Exposure {
  reveals: number;
  previews: number;
}

/** The daily exposure counter's columns: what one counts. */
export type ExposureKind = keyof Exposure;
/** Column names of the kinds (never from input: SQL is built from these only). */
const COLUMN: Record<ExposureKind, string> = { reveals: 'reveals', previews: 'previews' };

/** What a person was shown on `day` (`YYYY-MM-DD`, the deployment's day). */
export async function exposureOn(db: Queryable, personId: string, day: string): Promise<Exposure> {
  const { rows } = await db.query<Exposure>(
    `/* api:exposure-on */ select reveals, previews from review_exposure where person_id = $1 and day = $2::date`,
    [personId, day],
  );
  return rows[0] ?? { reveals: 0, previews: 0 };
}

/** Full-image reveals a person made on `day` (`YYYY-MM-DD`, the deployment's day). */
export async function revealsOn(db: Queryable, personId: string, day: string): Promise<number> {
  return (await exposureOn(db, personId, day)).reveals;
}

/**
 * Counts one exposure of `kind` unless the person had `limit` of that kind on `day` already (0: no limit), in one
 * statement, so exposures racing each other never all take the last one. Returns the day's count of that kind
 * after it, or null when refused (nothing counted). One that then shows nothing gives it back (`uncountExposure`).
 */
export async function countExposure(
  db: Queryable,
  kind: ExposureKind,
  personId: string,
  day: string,
  limit = 0,
): Promise<number | null> {
  const col = COLUMN[kind];
  const { rows } = await db.query<{ n: number }>(
    `/* api:count-${kind} */ insert into review_exposure (person_id, day, ${col}) values ($1, $2::date, 1)
     on conflict (person_id, day) do update set ${col} = review_exposure.${col} + 1
       where $3::int = 0 or review_exposure.${col} < $3
     returning ${col} as n`,
    [personId, day, limit],
  );
  return rows[0]?.n ?? null;
}

/** Gives back an exposure counted for media that was then not shown (absent, destroyed, not the person's to see). */
export async function uncountExposure(
  db: Queryable,
  kind: ExposureKind,
  personId: string,
  day: string,
): Promise<void> {
  const col = COLUMN[kind];
  await db.query(
    `/* api:uncount-${kind} */ update review_exposure set ${col} = ${col} - 1
     where person_id = $1 and day = $2::date and ${col} > 0`,
    [personId, day],
  );
}

/** One reveal counted (`countExposure` of `reveals`). */
export const countReveal = (db: Queryable, personId: string, day: string, limit = 0) =>
  countExposure(db, 'reveals', personId, day, limit);

/** A reveal given back (`uncountExposure` of `reveals`). */
export const uncountReveal = (db: Queryable, personId: string, day: string) =>
  uncountExposure(db, 'reveals', personId, day);

/** The daily limits in force on a day (0: no limit of that kind), as its counts were checked against them. */
export interface ExposureLimits {
  dailyRevealLimit: number;
  dailyPreviewLimit: number;
}

/**
 * Records `limits` as the ones in force on `day` (`YYYY-MM-DD`, the deployment's day), with each count, so that a
 * past day is read against its own limits, not today's. Unchanged limits write nothing (no lock on the day's row,
 * which every count of the day would otherwise queue on); changed ones (a new setting during the day) replace them.
 */
export async function recordExposureLimits(
  db: Queryable,
  day: string,
  limits: ExposureLimits,
  at: Date,
): Promise<void> {
  await db.query(
    `/* api:record-exposure-limits */ with changed as (
       update review_exposure_limits set daily_reveal_limit = $2, daily_preview_limit = $3, recorded_at = $4
       where day = $1::date and (daily_reveal_limit, daily_preview_limit) is distinct from ($2::int, $3::int)
       returning day)
     insert into review_exposure_limits (day, daily_reveal_limit, daily_preview_limit, recorded_at)
     select $1::date, $2, $3, $4 where not exists (select 1 from changed)
     on conflict (day) do nothing`,
    [day, limits.dailyRevealLimit, limits.dailyPreviewLimit, at],
  );
}

/** The limits recorded for `day`, or null when none were (no count that day, or a day before they were recorded). */
export async function exposureLimitsOn(db: Queryable, day: string): Promise<ExposureLimits | null> {
  const { rows } = await db.query<{ daily_reveal_limit: number; daily_preview_limit: number }>(
    `/* api:exposure-limits-on */ select daily_reveal_limit, daily_preview_limit from review_exposure_limits
     where day = $1::date`,
    [day],
  );
  const r = rows[0];
  return r === undefined
    ? null
    : { dailyRevealLimit: r.daily_reveal_limit, dailyPreviewLimit: r.daily_preview_limit };
}

/** One person's exposure on a day, as a supervisor reads it (`exposureOfDay`). */
export interface PersonExposure extends Exposure {
  personId: string;
  displayName: string;
  login: string;
  role: PersonRole;
  tenantId: string;
  /** When the person was disabled (their counts stay readable), or null. */
  disabledAt: Date | null;
}

/**
 * Everyone's exposure on `day` (`YYYY-MM-DD`, the deployment's day): every enabled person who works cases
 * (reviewers, authorities), shown something or not, and anyone else with a count that day (disabled since, or of
 * another role now); most exposed first (reveals, then previews), then by name. At most `limit` people, and
 * whether there were more.
 */
export async function exposureOfDay(
  db: Queryable,
  day: string,
  limit: number,
): Promise<{ people: PersonExposure[]; truncated: boolean }> {
  const { rows } = await db.query<{
    id: string;
    display_name: string;
    login: string;
    role: PersonRole;
    tenant_id: string;
    disabled_at: Date | null;
    reveals: number;
    previews: number;
  }>(
    `/* api:exposure-of-day */ select p.id, p.display_name, p.login, p.role, p.tenant_id, p.disabled_at,
       coalesce(e.reveals, 0) as reveals, coalesce(e.previews, 0) as previews
     from people p left join review_exposure e on e.person_id = p.id and e.day = $1::date
     where (p.role in ('reviewer', 'authority') and p.disabled_at is null) or e.reveals > 0 or e.previews > 0
     order by coalesce(e.reveals, 0) desc, coalesce(e.previews, 0) desc, p.display_name, p.id
     limit $2`,
    [day, limit + 1],
  );
  return {
    people: rows.slice(0, limit).map((r) => ({
      personId: r.id,
      displayName: r.display_name,
      login: r.login,
      role: r.role,
      tenantId: r.tenant_id,
      disabledAt: r.disabled_at,
      reveals: r.reveals,
      previews: r.previews,
    })),
    truncated: rows.length > limit,
  };
}
