import { queryOne, type Queryable } from './pool.js';

type Scores = { drawing: number; hentai: number; neutral: number; porn: number; sexy: number };
type ApparentMinor = {
  probability: number;
  flagged: boolean;
  facesEvaluated: boolean;
  ageThresholdYears: number;
  probabilityThreshold: number;
};

/** A later frame of a multi-frame file, as stored: its index from 0 and its scores. */
export interface StoredFrameScores {
  index: number;
  scores: Scores;
  apparentMinor: ApparentMinor;
}

/**
 * The frames a result covers: `examined` leading frames of `count`, each distinct one after the first in `later`
 * (`unexamined`: why the rest were not scored). A still image has `{ count: 1, examined: 1, later: [] }`; a row
 * without it was classified before frames were scored (its first frame only).
 */
export interface StoredFrames {
  count: number;
  examined: number;
  later: StoredFrameScores[];
  unexamined?: string;
}

/** A classifier result as stored (scores and model versions; the risk policy is applied when read). */
export interface StoredClassification {
  sha256: string;
  /** Frame 0's (the file's first frame, or a still image's). */
  scores: Scores;
  apparentMinor: ApparentMinor;
  models: { id: string; version: string; sha256: string }[];
  backend: string;
  frames?: StoredFrames;
  classifiedAt: string;
}

interface ClassificationRow {
  sha256: string;
  scores: Scores & { frames?: StoredFrames };
  apparent_minor: StoredClassification['apparentMinor'];
  models: StoredClassification['models'];
  backend: string;
  classified_at: Date;
}

const toStoredClassification = (r: ClassificationRow): StoredClassification => {
  // The frames live in the scores document (no column of their own): the scores of the frames after the first.
  const { frames, ...scores } = r.scores;
  return {
    sha256: r.sha256,
    scores,
    apparentMinor: r.apparent_minor,
    models: r.models,
    backend: r.backend,
    ...(frames === undefined ? {} : { frames }),
    classifiedAt: r.classified_at.toISOString(),
  };
};

export async function findClassification(
  db: Queryable,
  sha256: string,
): Promise<StoredClassification | null> {
  return queryOne(
    db,
    `/* scanner:find-classification */ select * from classifications where sha256 = $1`,
    [sha256],
    toStoredClassification,
  );
}

/**
 * Stores a result once; a concurrent duplicate keeps the first. A result with its frames replaces one stored
 * before frames were scored (first frame only), so the same content is not judged on its first frame again.
 */
export async function saveClassification(
  db: Queryable,
  c: Omit<StoredClassification, 'classifiedAt'>,
): Promise<void> {
  await db.query(
    `/* scanner:save-classification */ insert into classifications (sha256, scores, apparent_minor, models, backend)
     values ($1, $2, $3, $4, $5)
     on conflict (sha256) do update
       set scores = excluded.scores, apparent_minor = excluded.apparent_minor, models = excluded.models,
           backend = excluded.backend, classified_at = now()
       where classifications.scores -> 'frames' is null and excluded.scores -> 'frames' is not null`,
    [
      c.sha256,
      JSON.stringify(c.frames === undefined ? c.scores : { ...c.scores, frames: c.frames }),
      JSON.stringify(c.apparentMinor),
      JSON.stringify(c.models),
      c.backend,
    ],
  );
}
