/**
 * The public form sent again: Send pressed twice (a double click, an impatient tap, a browser without the page's
 * script) posts the same form, with the same one-time token, twice. The second is the same submission: it is
 * answered by the first's outcome (the report filed, or the same refusal) and must not be charged to the rate
 * limits a second time (a citizen at the edge of the per-address limit was told "too many reports" for the report
 * just filed). The first post of a form is charged; a post of a form this instance charged, or whose token any
 * instance took, is a repeat.
 */
export interface FormRepeats {
  /**
   * Charges the post of the form `nonce` (its token's nonce) with `charge` (the rate limits: throws when refused),
   * unless it repeats a form charged before: 'charged' or 'repeat'. A repeat of a post still being charged waits for
   * that charge; if it was refused, this post is charged as a first. Past `maxFreeRepeats` of one form, each post is
   * charged again (one token replayed without end costs like new reports).
   */
  charge(nonce: string, charge: () => void): Promise<'charged' | 'repeat'>;
}

export interface FormRepeatsOptions {
  /** Whether the token's nonce was taken by any instance (`formTokenTaken`): sent before, through another. */
  taken: (nonce: string) => Promise<boolean>;
  /** Repeats of one form answered without a charge. Default 5. */
  maxFreeRepeats?: number;
  /** Forms remembered; the oldest is forgotten beyond this (memory bound). Default 100000. */
  maxTracked?: number;
}

export function createFormRepeats(o: FormRepeatsOptions): FormRepeats {
  const maxFreeRepeats = o.maxFreeRepeats ?? 5;
  const maxTracked = o.maxTracked ?? 100_000;
  // Map order is insertion order: the first key is the oldest form remembered. Nonces only: nothing personal.
  const forms = new Map<string, { charged: Promise<boolean>; repeats: number }>();
  return {
    async charge(nonce, charge) {
      const seen = forms.get(nonce);
      if (seen !== undefined) {
        if (seen.repeats >= maxFreeRepeats) {
          charge();
          return 'charged';
        }
        seen.repeats += 1;
        if (await seen.charged) return 'repeat';
      }
      let settle: (charged: boolean) => void = () => undefined;
      const form = { charged: new Promise<boolean>((resolve) => (settle = resolve)), repeats: 0 };
      forms.delete(nonce);
      forms.set(nonce, form);
      if (forms.size > maxTracked) forms.delete(forms.keys().next().value as string);
      try {
        const before = await o.taken(nonce);
        if (!before) charge();
        settle(true);
        return before ? 'repeat' : 'charged';
      } catch (err) {
        settle(false);
        if (forms.get(nonce) === form) forms.delete(nonce);
        throw err;
      }
    },
  };
}
