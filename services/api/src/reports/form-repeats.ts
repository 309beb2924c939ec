import { withTransaction, type Pool, type Queryable } from '@mod/db';
import { formTokenTaken, recordFormCharge } from '@mod/db/reports';

/**
 * The public form sent again: Send pressed twice (a double click, an impatient tap, a browser without the page's
 * script) posts the same form, with the same one-time token, twice. The second is the same submission: it is
 * answered by the first's outcome (the report filed, or the same refusal) and must not be charged to the rate
 * limits a second time (a citizen at the edge of the per-address limit was told "too many reports" for the report
 * just filed). The first post of a form is charged; a post of a form any instance charged, or whose token any
 * instance took, is a repeat. Kept in the database (`report_form_charges`): two presses reaching two API instances
 * at the same instant are charged once, where each instance's memory charged both.
 */
export interface FormRepeats {
  /**
   * Charges the post of the form `nonce` (its token's nonce) with `charge` (the rate limits, taken on the
   * transaction's client given: throws when refused), unless it repeats a form charged before: 'charged' or
   * 'repeat'. The form is recorded and charged in one transaction: a repeat of a post still being charged, on any
   * instance, waits for that charge; if it was refused, nothing was recorded and this post is charged as a first.
   * Past `maxFreeRepeats` of one form, each post is charged again (one token replayed without end costs like new
   * reports). Rejects as the database does (the caller refuses the post).
   */
  charge(nonce: string, charge: (db: Queryable) => Promise<void>): Promise<'charged' | 'repeat'>;
}

export interface FormRepeatsOptions {
  db: Pool;
  /** When a form's charge may be forgotten: after its token is refused as expired (by any instance's clock). */
  keepUntil: () => Date;
  /** Repeats of one form answered without a charge. Default 5. */
  maxFreeRepeats?: number;
}

export function createFormRepeats(o: FormRepeatsOptions): FormRepeats {
  const maxFreeRepeats = o.maxFreeRepeats ?? 5;
  return {
    charge: (nonce, charge) =>
      withTransaction(o.db, async (c) => {
        const recorded = await recordFormCharge(c, nonce, o.keepUntil());
        // A token taken before its form's charge was recorded (by an instance before migration 0044): sent before.
        if (recorded.first ? await formTokenTaken(c, nonce) : recorded.repeats <= maxFreeRepeats)
          return 'repeat';
        await charge(c);
        return 'charged';
      }),
  };
}
