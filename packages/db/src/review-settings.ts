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

/** Full-image reveals a person made on `day` (`YYYY-MM-DD`, the deployment's day). */
export async function revealsOn(db: Queryable, personId: string, day: string): Promise<number> {
  const { rows } = await db.query<{ reveals: number }>(
    `/* api:reveals-on */ select reveals from review_exposure where person_id = $1 and day = $2::date`,
    [personId, day],
  );
  return rows[0]?.reveals ?? 0;
}

/**
 * Counts one reveal unless the person made `limit` on `day` already (0: no limit), in one statement, so reveals
 * racing each other never all take the last one. Returns the day's count after it, or null when refused (nothing
 * counted). A reveal that then sends nothing gives it back (`uncountReveal`).
 */
export async function countReveal(
  db: Queryable,
  personId: string,
  day: string,
  limit = 0,
): Promise<number | null> {
  const { rows } = await db.query<{ reveals: number }>(
    `/* api:count-reveal */ insert into review_exposure (person_id, day, reveals) values ($1, $2::date, 1)
     on conflict (person_id, day) do update set reveals = review_exposure.reveals + 1
       where $3::int = 0 or review_exposure.reveals < $3
     returning reveals`,
    [personId, day, limit],
  );
  return rows[0]?.reveals ?? null;
}

/** Gives back a reveal counted for media that was then not sent (absent, destroyed, not the person's to see). */
export async function uncountReveal(db: Queryable, personId: string, day: string): Promise<void> {
  await db.query(
    `/* api:uncount-reveal */ update review_exposure set reveals = reveals - 1
     where person_id = $1 and day = $2::date and reveals > 0`,
    [personId, day],
  );
}
