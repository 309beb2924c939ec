import type { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { onRequestFailed } from './client-internals.js';
import { isProtocolError } from './errors.js';

/**
 * Static membership ids in use in this process, per group. Two runners of one group in one process (tests run
 * two scanners side by side) must not share an id: the second takes `<id>-2`, and so on, in start order.
 */
const claimedInstanceIds = new Set<string>();

export function claimInstanceId(groupId: string, id: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? id : `${id}-${n}`;
    const key = `${groupId}\u0000${candidate}`;
    if (!claimedInstanceIds.has(key)) {
      claimedInstanceIds.add(key);
      return candidate;
    }
  }
}

export const releaseInstanceId = (groupId: string, id: string | undefined) =>
  id === undefined ? undefined : claimedInstanceIds.delete(`${groupId}\u0000${id}`);

/** Whether an error (or one it wraps) is the broker's FENCED_INSTANCE_ID (code 82). */
export const isFencedInstance = (err: unknown): boolean => isProtocolError(err, 'FENCED_INSTANCE_ID', 82);

/** UNKNOWN_MEMBER_ID (code 25): the coordinator no longer has this member id (expired, or replaced). */
const isUnknownMember = (err: unknown): boolean => isProtocolError(err, 'UNKNOWN_MEMBER_ID', 25);

/**
 * Replacements of a static member within `REPLACED_WINDOW_MS` that mean another live member shares its id. The
 * client commits without the instance id, so a member replaced by a twin hears UNKNOWN_MEMBER_ID on its commits
 * (not FENCED_INSTANCE_ID), rejoins, and replaces the twin in turn, several times a second; a member whose session
 * merely expired hears it once or twice and rejoins for good.
 */
const REPLACED_LIMIT = 4;
const REPLACED_WINDOW_MS = 10_000;

/**
 * Watches one client's requests (heartbeats, joins, syncs, commits) for a twin: FENCED_INSTANCE_ID, or its
 * member id replaced again and again (UNKNOWN_MEMBER_ID `REPLACED_LIMIT` times within `REPLACED_WINDOW_MS`).
 * `isStatic` says whether the runner still has its instance id; `onFenced` gets the evidence. Returns the
 * function that stops watching.
 */
export function watchFencing(
  consumer: PlatformaticConsumer,
  isStatic: () => boolean,
  onFenced: (evidence: string) => void,
): () => void {
  if (!isStatic()) return () => undefined;
  const replaced: number[] = [];
  // Every request the client sends, failed (`onRequestFailed`): the only place a FENCED_INSTANCE_ID is seen every
  // time: the client retries joins and rejoins after a fenced heartbeat on its own, without surfacing the error.
  return onRequestFailed((ownerId, error) => {
    if (ownerId !== consumer.instanceId || !isStatic()) return;
    let evidence: string | undefined;
    if (isFencedInstance(error)) evidence = 'FENCED_INSTANCE_ID';
    else if (isUnknownMember(error)) {
      const now = Date.now();
      replaced.push(now);
      while ((replaced[0] ?? now) < now - REPLACED_WINDOW_MS) replaced.shift();
      if (replaced.length >= REPLACED_LIMIT)
        evidence = `UNKNOWN_MEMBER_ID ${replaced.length} times within ${REPLACED_WINDOW_MS / 1000} s`;
    }
    if (evidence === undefined) return;
    onFenced(evidence);
  });
}
