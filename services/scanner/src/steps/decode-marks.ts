import { webcrypto } from 'node:crypto';
import type { MediaEvent } from '@mod/contracts';
import type { DecodeMarks } from '@mod/db/submissions';
import type { ClaimedSubmission } from '../scan-store.js';

/** What the hash stage needs of `@mod/db`'s decode marks (`createDecodeMarks`, stage `hash`). */
export type HashDecodeMarks = Pick<DecodeMarks, 'begin' | 'beginAlone' | 'end'>;

/** The SHA-256 a decode's mark names, and whether it is the bytes' own, computed here from them. */
export interface MarkedDigest {
  sha256: string;
  /**
   * True when computed here from the bytes the pool is given: the pool may take it as theirs (`HashMediaOptions.sha256`)
   * rather than hash them a second time. False for the digest intake recorded, which the pool's own must confirm.
   */
  ofTheseBytes: boolean;
}

/**
 * The SHA-256 a decode's mark names, known before the bytes go to the pool (which moves them): the digest intake
 * recorded, for events of the internal topic (our own API and fetcher hashed those bytes); else the bytes' own,
 * computed off the event loop (libuv's pool). A platform's event is never taken at its word: otherwise media that
 * ends the process under a submission naming another content's digest would count against that content. Null for
 * no bytes (nothing to decode).
 */
export async function markedDigest(
  event: MediaEvent,
  claimed: ClaimedSubmission,
  bytes: Buffer,
): Promise<MarkedDigest | null> {
  if (event.source !== 'kafka' && claimed.sha256 !== null)
    return { sha256: claimed.sha256, ofTheseBytes: false };
  if (bytes.byteLength === 0) return null;
  const sha256 = Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
  return { sha256, ofTheseBytes: true };
}

/**
 * Lets decodes run together, but media suspected of ending the process (a process ended while decoding it) alone:
 * it waits for every decode under way to end, and none starts until it ended. Should the process end again, the
 * mark left then is that media's only, not its neighbours' (the scanner's own `afterWorkerCrash` tries a crashed
 * shared task alone the same way). First come, first served: a suspect is not passed by later media.
 */
export function createDecodeGate() {
  let together = 0;
  let alone = false;
  const queue: { alone: boolean; go: () => void }[] = [];
  const admit = () => {
    for (let next = queue[0]; next !== undefined; next = queue[0]) {
      if (alone || (next.alone && together > 0)) return;
      queue.shift();
      if (next.alone) alone = true;
      else together++;
      next.go();
    }
  };
  return {
    /** Runs `decode` when the gate lets it: `suspect` alone, any other with the others. */
    async run<T>(suspect: boolean, decode: () => Promise<T>): Promise<T> {
      await new Promise<void>((go) => {
        queue.push({ alone: suspect, go });
        admit();
      });
      try {
        return await decode();
      } finally {
        if (suspect) alone = false;
        else together--;
        admit();
      }
    },
  };
}
export type DecodeGate = ReturnType<typeof createDecodeGate>;
