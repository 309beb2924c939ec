import { queryOne, type Queryable } from './pool.js';

/** A classifier result as stored (scores and model versions; the risk policy is applied when read). */
export interface StoredClassification {
  sha256: string;
  scores: { drawing: number; hentai: number; neutral: number; porn: number; sexy: number };
  apparentMinor: {
    probability: number;
    flagged: boolean;
    facesEvaluated: boolean;
    ageThresholdYears: number;
    probabilityThreshold: number;
  };
  models: { id: string; version: string; sha256: string }[];
  backend: string;
  classifiedAt: string;
}

interface ClassificationRow {
  sha256: string;
  scores: StoredClassification['scores'];
  apparent_minor: StoredClassification['apparentMinor'];
  models: StoredClassification['models'];
  backend: string;
  classified_at: Date;
}

const toStoredClassification = (r: ClassificationRow): StoredClassification => ({
  sha256: r.sha256,
  scores: r.scores,
  apparentMinor: r.apparent_minor,
  models: r.models,
  backend: r.backend,
  classifiedAt: r.classified_at.toISOString(),
});

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

/** Stores a result once; a concurrent duplicate keeps the first. */
export async function saveClassification(
  db: Queryable,
  c: Omit<StoredClassification, 'classifiedAt'>,
): Promise<void> {
  await db.query(
    `/* scanner:save-classification */ insert into classifications (sha256, scores, apparent_minor, models, backend)
     values ($1, $2, $3, $4, $5) on conflict (sha256) do nothing`,
    [
      c.sha256,
      JSON.stringify(c.scores),
      JSON.stringify(c.apparentMinor),
      JSON.stringify(c.models),
      c.backend,
    ],
  );
}
