import { toDatabaseError, type Queryable } from '@mod/db';
import {
  claimSubmission,
  markSubmissionFailed,
  type SubmissionInput,
  type TenantDirectory,
} from '@mod/db/submissions';

/** A submission as the scan step finds it once claimed: who owns it, and the digest intake recorded (if any). */
export interface ClaimedSubmission {
  created: boolean;
  tenantId: string;
  sha256: string | null;
}

/**
 * What the scan step reads and writes outside the message: tenants, submissions, bank entry categories. The
 * service uses PostgreSQL (`createPgScanStore`); unit tests an in-memory one.
 */
export interface ScanStore {
  tenants: Pick<TenantDirectory, 'get'>;
  /**
   * Creates the submission when no event named it before, and says who owns it; `null` when a concurrent insert
   * is not visible yet (the step retries).
   */
  claimSubmission(s: SubmissionInput): Promise<ClaimedSubmission | null>;
  /** Records why a submission could not be scanned. */
  markFailed(s: { id: string; tenantId: string }, code: string): Promise<void>;
  /**
   * Records `sha256` as the submission's content when none is recorded yet (a platform's own submission, first
   * hashed), and answers the digest it now has: the first media hashed under a submission is its content, so
   * other media sent under the same id is refused before it is matched, kept or given a verdict.
   */
  bindDigest(s: { id: string; tenantId: string }, sha256: string): Promise<string | null>;
  /** The category of each bank entry (hits are rare: categories are not held in memory for millions of entries). */
  entryCategories(entryIds: readonly string[]): Promise<Map<string, string | null>>;
}

export function createPgScanStore(db: Queryable, tenants: Pick<TenantDirectory, 'get'>): ScanStore {
  return {
    tenants,
    async claimSubmission(s) {
      // Typed: an outage retries, a statement the database refuses for the event's data dead-letters it (a raw
      // error would be retried forever, holding up its partition).
      try {
        return await claimSubmission(db, s);
      } catch (err) {
        throw toDatabaseError(err, 'claim submission');
      }
    },
    async markFailed(s, code) {
      try {
        await markSubmissionFailed(db, s, code);
      } catch (err) {
        throw toDatabaseError(err, 'mark submission failed');
      }
    },
    async bindDigest(s, sha256) {
      try {
        const { rows } = await db.query<{ sha256: string | null }>(
          `/* scanner:bind-digest */ update submissions set sha256 = coalesce(sha256, $3)
           where id = $1 and tenant_id = $2 returning sha256`,
          [s.id, s.tenantId, sha256],
        );
        return rows[0]?.sha256 ?? null;
      } catch (err) {
        throw toDatabaseError(err, 'bind submission digest');
      }
    },
    async entryCategories(entryIds) {
      const ids = entryIds.filter((id) => /^\d+$/.test(id));
      const categories = new Map<string, string | null>();
      if (ids.length === 0) return categories;
      try {
        const { rows } = await db.query<{ id: number; category: string | null }>(
          `/* scanner:hit-categories */ select id, category from bank_entries where id = any($1::bigint[])`,
          [ids],
        );
        for (const r of rows) categories.set(String(r.id), r.category);
      } catch (err) {
        throw toDatabaseError(err, 'hit categories');
      }
      return categories;
    },
  };
}
