import type { SignedIn } from './cases.test-helper.js';

/** One person's row of `GET /v1/review-exposure`, as the tests read it. */
export interface ExposureRow {
  personId: string;
  role: string;
  reveals: number;
  previews: number;
  dailyRevealLimit: number | null;
  dailyPreviewLimit: number | null;
  revealStanding: string;
  previewStanding: string;
  reachedLimit: boolean;
  nearLimit: boolean;
}

/** The answer of `GET /v1/review-exposure`, as the tests read it. */
export interface ExposureAnswer {
  day: string;
  today: boolean;
  dailyRevealLimit: number | null;
  dailyPreviewLimit: number | null;
  people: ExposureRow[];
  truncated: boolean;
}

/** The row of `who` in an answer, if listed. */
export const exposureRowOf = (a: ExposureAnswer, who: SignedIn) =>
  a.people.find((r) => r.personId === who.personId);
