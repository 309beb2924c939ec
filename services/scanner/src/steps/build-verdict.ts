import { deterministicUuid, type Hit, type MediaEvent, type Verdict } from '@mod/contracts';
import type { MediaHashes } from '@mod/hashing';
import { decide } from '@mod/policy';

export const SCANNER_VERSION = 'scanner/0.1.0';

type DecodeScale = NonNullable<Verdict['hashes']['decodeScale']>;

/** The verdict names every reduction the decoder makes; an unknown one is a bug, not a full decode to claim. */
function reducedScale(scale: number): DecodeScale {
  if (scale === 4 || scale === 8 || scale === 16) return scale;
  throw new Error(`the decoder reported decode scale ${scale}, which no verdict can carry`);
}

/**
 * The verdict of one media event: the scanner's decision on its hits, its hashes (never its bytes), and where it
 * came from. Its id derives from the event's, so a redelivered event yields the same verdict (the actioner drops
 * the replay).
 */
export function buildVerdict(event: MediaEvent, h: MediaHashes, hits: Hit[], scannedAt: Date): Verdict {
  return {
    eventId: deterministicUuid(`verdict:${event.eventId}`),
    submissionId: event.submissionId,
    tenantId: event.tenantId,
    sourceEventId: event.eventId,
    decision: decide(hits),
    hashes: {
      sha256: h.sha256,
      sha1: h.sha1,
      md5: h.md5,
      blockhash: h.blockhash,
      pdq: h.pdq,
      pdqQuality: h.pdqQuality,
      ...(h.decodeScale === 1 ? {} : { decodeScale: reducedScale(h.decodeScale) }),
    },
    width: h.width,
    height: h.height,
    hits,
    ...(h.frames === undefined
      ? {}
      : {
          frames: {
            count: h.frames.count,
            examined: h.frames.examined,
            hashed: h.frames.hashed.length,
            ...(h.frames.unexamined === undefined ? {} : { unexamined: h.frames.unexamined }),
          },
        }),
    ...(event.url === undefined ? {} : { url: event.url }),
    ...(event.externalRef === undefined ? {} : { externalRef: event.externalRef }),
    ...(event.reportedCategory === undefined ? {} : { reportedCategory: event.reportedCategory }),
    scannedAt: scannedAt.toISOString(),
    scannerVersion: SCANNER_VERSION,
  };
}
