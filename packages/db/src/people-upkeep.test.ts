import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerson, getPersonSecrets, rehashPersonPassword, resetPersonPassword } from './people.js';
import { createSignInStore } from './people-sign-in.js';
import { insertSession, pruneEndedSessions, revokeSession } from './sessions.js';
import { upsertTenant } from './tenants.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';

// Upkeep of staff accounts' rows: pruning ended sessions and old sign-in failures, renewing a password hash in place.

const HOUR = 3_600_000;
const now = new Date('2026-05-01T12:00:00Z');
const at = (hours: number) => new Date(now.getTime() + hours * HOUR);
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA';

let db: TestDatabase;
let personId: string;

beforeAll(async () => {
  db = await createTestSchema();
  await upsertTenant(db.pool, { id: 'hotline-u', kind: 'hotline', name: 'u', subscribedToBlocking: false });
  const made = await createPerson(db.pool, {
    tenantId: 'hotline-u',
    login: 'upkeep.reviewer',
    displayName: 'upkeep',
    role: 'reviewer',
    passwordHash: HASH,
    passwordExpiresAt: at(72),
    createdBy: null,
  });
  if (!made.ok) throw new Error(made.reason);
  personId = made.person.id;
});
afterAll(async () => db?.drop());

/** A session that began `startedHoursAgo` (its last use then), ending `lastsHours` after it began. */
async function session(startedHoursAgo: number, lastsHours: number): Promise<string> {
  const { id } = await insertSession(db.pool, {
    tokenSha256: randomBytes(32),
    personId,
    stage: 'full',
    clientAddress: '192.0.2.1',
    now: at(-startedHoursAgo),
    expiresAt: at(-startedHoursAgo + lastsHours),
  });
  return id;
}

/** Records a use of the session `hoursAgo`. */
async function touched(id: string, hoursAgo: number): Promise<void> {
  await db.pool.query(`update person_sessions set last_seen_at = $2 where id = $1`, [id, at(-hoursAgo)]);
}

const remaining = async (ids: string[]) =>
  (await db.pool.query<{ id: string }>(`select id from person_sessions where id = any($1)`, [ids])).rows.map(
    (r) => r.id,
  );

describe('pruneEndedSessions', () => {
  it('deletes sessions that ended more than the kept time ago, however they ended, and keeps the rest', async () => {
    // Each row below ends one way only: its last use is recent enough that it did not also go idle long ago.
    const idleMs = 2 * HOUR;
    const keptMs = 24 * HOUR;
    const live = await session(0, 12);
    const endedLongAgo = {
      revoked: await session(26, 200),
      expired: await session(30, 5.5),
      idle: await session(30, 200),
    };
    await touched(endedLongAgo.revoked, 25.5);
    await revokeSession(db.pool, endedLongAgo.revoked, 'signed-out', at(-25));
    await touched(endedLongAgo.expired, 24.6);
    const endedRecently = {
      revoked: await session(2, 12),
      expired: await session(30, 10),
      // Unused since 25 h ago: idle for 23 h, within the kept time.
      idle: await session(25, 200),
    };
    await revokeSession(db.pool, endedRecently.revoked, 'signed-out', at(-1));
    await touched(endedRecently.expired, 20.5);
    const all = [live, ...Object.values(endedLongAgo), ...Object.values(endedRecently)];

    expect(await pruneEndedSessions(db.pool, { now, idleMs, keptMs, limit: 100 })).toBe(3);
    expect((await remaining(all)).sort()).toEqual([live, ...Object.values(endedRecently)].sort());
    expect(await pruneEndedSessions(db.pool, { now, idleMs, keptMs, limit: 100 })).toBe(0);
    // Two days later the recent ones have been ended long enough, and the live one has ended too; it stays as the
    // person's latest full session at its address (what makes the address theirs for the code lock), for 30 days.
    expect(await pruneEndedSessions(db.pool, { now: at(48), idleMs, keptMs, limit: 100 })).toBe(3);
    expect(await remaining(all)).toEqual([live]);
    expect(await pruneEndedSessions(db.pool, { now: at(31 * 24), idleMs, keptMs, limit: 100 })).toBe(1);
    expect(await remaining(all)).toEqual([]);
  });

  it('deletes at most `limit` rows a pass', async () => {
    const ids: string[] = [];
    // Begun over a month ago: not even the latest full session at its address stays.
    for (let i = 0; i < 7; i++) ids.push(await session(31 * 24, 1));
    const o = { now, idleMs: HOUR, keptMs: HOUR, limit: 3 };
    expect(await pruneEndedSessions(db.pool, o)).toBe(3);
    expect(await remaining(ids)).toHaveLength(4);
    expect(await pruneEndedSessions(db.pool, o)).toBe(3);
    expect(await pruneEndedSessions(db.pool, o)).toBe(1);
    expect(await remaining(ids)).toEqual([]);
  });
});

describe('rehashPersonPassword', () => {
  it('replaces the hash it was given, only that one, and nothing else of the account', async () => {
    const before = await getPersonSecrets(db.pool, personId);
    const renewed = HASH.replace('m=19456,t=2', 'm=65536,t=3');
    expect(await rehashPersonPassword(db.pool, personId, { from: HASH, to: renewed })).toBe(true);
    const after = await getPersonSecrets(db.pool, personId);
    expect(after).toEqual({ ...before, passwordHash: renewed });
    // An admin's reset came first: a sign-in that verified the old password does not undo it.
    await resetPersonPassword(db.pool, personId, { passwordHash: HASH, expiresAt: at(72) });
    const stale = { from: renewed, to: renewed.replace('t=3', 't=4') };
    expect(await rehashPersonPassword(db.pool, personId, stale)).toBe(false);
    expect((await getPersonSecrets(db.pool, personId))?.passwordHash).toBe(HASH);
  });
});

describe('sign-in failures', () => {
  const store = () => createSignInStore(db.pool);
  const fail = async (addressKey: string, atMs: number) => {
    const { attemptId } = await store().beginAttempt({ login: 'sprayed', addressKey, sinceMs: atMs, atMs });
    await store().endAttempt(attemptId, 'unknown-login');
  };
  const kept = async () =>
    (
      await db.pool.query<{ address_key: string }>(`select address_key from sign_in_failures order by id`)
    ).rows.map((r) => r.address_key);

  it('are pruned a day on, whichever address they came from, as new failures arrive', async () => {
    await fail('192.0.2.50', at(-2).getTime());
    // A spray of one failure per address (IPv6 gives an outsider as many /64s as they like): no address fails
    // again, so no failure of its own would ever prune it; one attempt died in flight and was never settled.
    for (let i = 0; i < 25; i++) await fail(`2001:db8:${i.toString(16)}::/64`, at(-30).getTime());
    await store().beginAttempt({ login: 'sprayed', addressKey: 'died', sinceMs: 0, atMs: at(-30).getTime() });
    expect(await kept()).toHaveLength(27);
    // Each new failure deletes a bounded batch of the oldest expired ones, more than it adds: the table holds a
    // day of failures, and a backlog drains.
    for (let i = 0; i < 3; i++) await fail(`198.51.100.${i}`, now.getTime());
    expect(await kept()).toEqual(['192.0.2.50', '198.51.100.0', '198.51.100.1', '198.51.100.2']);
  });
});
