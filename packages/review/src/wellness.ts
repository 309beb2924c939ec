import { refuse, ReviewRefusalCode, type ReviewRefusal } from './refusals.js';

/**
 * A person's review settings, as hotlines give reviewers: the preview the API serves by default is always
 * greyscale and reduced; the blur can be turned off and the size chosen. The full image is only ever sent on an
 * explicit reveal, which is audited and counted.
 */
export interface ReviewSettings {
  /** Blur the preview. Default true. */
  previewBlur: boolean;
  /** Longest side of the preview, pixels (64..512). Default 256. */
  previewMaxSide: number;
}

export const defaultReviewSettings: ReviewSettings = { previewBlur: true, previewMaxSide: 256 };
export const PREVIEW_MIN_SIDE = 64;
export const PREVIEW_MAX_SIDE = 512;

/** Blur strength of a blurred preview (Gaussian sigma, pixels of the reduced image). */
export const PREVIEW_BLUR_SIGMA = 8;

/** Applies a change to a person's settings, or refuses a value out of range. */
export function changeReviewSettings(
  current: ReviewSettings,
  change: Partial<ReviewSettings>,
): ReviewSettings | ReviewRefusal {
  const next = { ...current, ...change };
  if (
    !Number.isInteger(next.previewMaxSide) ||
    next.previewMaxSide < PREVIEW_MIN_SIDE ||
    next.previewMaxSide > PREVIEW_MAX_SIDE
  )
    return refuse(
      ReviewRefusalCode.SettingInvalid,
      `previewMaxSide is a whole number of pixels from ${PREVIEW_MIN_SIDE} to ${PREVIEW_MAX_SIDE}`,
    );
  return next;
}

/** How the server makes a person's preview: always greyscale and reduced; blurred unless they turned it off. */
export function previewOptions(s: ReviewSettings): { greyscale: true; maxSide: number; blurSigma: number } {
  return { greyscale: true, maxSide: s.previewMaxSide, blurSigma: s.previewBlur ? PREVIEW_BLUR_SIGMA : 0 };
}

/**
 * The day a reveal counts towards, `YYYY-MM-DD` in the deployment's time zone (offset from UTC in minutes;
 * Vietnam +420), so "today" ends at the reviewers' midnight, not UTC's.
 */
export function exposureDay(now: Date, utcOffsetMinutes: number): string {
  return new Date(now.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/**
 * Whether one more full-image reveal is allowed after `revealedToday` of them; `dailyLimit` 0 means no limit.
 * Counting is the point (a supervisor sees who looked at how much); a limit is the deployment's choice.
 */
export function checkReveal(revealedToday: number, dailyLimit: number): { ok: true } | ReviewRefusal {
  if (dailyLimit > 0 && revealedToday >= dailyLimit)
    return refuse(
      ReviewRefusalCode.ExposureLimit,
      `you have revealed ${revealedToday} images today, the limit set for reviewers; take a break or ask a colleague`,
    );
  return { ok: true };
}

/**
 * Where a person stands against one daily limit, as a supervisor reads it: `none` without a limit, `reached` at
 * or past it (the next one is refused), `near` from `EXPOSURE_NEAR_SHARE` of it, `under` below that.
 */
export type ExposureStanding = 'none' | 'under' | 'near' | 'reached';
/** The share of a daily limit from which a person is near it (four fifths: 8 of 10). */
export const EXPOSURE_NEAR_SHARE = 0.8;

export function exposureStanding(count: number, dailyLimit: number): ExposureStanding {
  if (dailyLimit <= 0) return 'none';
  if (count >= dailyLimit) return 'reached';
  return count >= dailyLimit * EXPOSURE_NEAR_SHARE ? 'near' : 'under';
}

/** How many days back a supervisor may read the exposure counter (a year and a day: last year's same day). */
export const EXPOSURE_DAYS_BACK = 366;

/**
 * Whether `day` (`YYYY-MM-DD`, a real date) is one whose exposure a supervisor may read on `today`: not after it,
 * at most `EXPOSURE_DAYS_BACK` days before it. Answers why not, or null.
 */
export function exposureDayRefusal(day: string, today: string): string | null {
  const at = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== day)
    return 'day is a date, YYYY-MM-DD';
  const back = (Date.parse(`${today}T00:00:00Z`) - at) / 86_400_000;
  if (back < 0) return `day is after today (${today})`;
  if (back > EXPOSURE_DAYS_BACK) return `day is more than ${EXPOSURE_DAYS_BACK} days before today (${today})`;
  return null;
}
