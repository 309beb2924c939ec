import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerTopic } from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import {
  describeGroup,
  describeGroupMembers,
  followTopic,
  type FollowedRecord,
  type TopicFollower,
} from '@mod/kafka';
import {
  createWorld,
  kafkaPlatform,
  logger,
  makePhoto,
  publishPartnerMedia,
  serviceEnv,
  stopInOrder,
  waitFor,
  worldGroups,
  type Partner,
  type World,
} from './helpers.js';
import { spawnService, type ServiceProcess } from './processes.js';

/**
 * Recovery through the real stack, with services as processes (as `deploy/local/demo.sh` runs them).
 *
 * - A scanner killed with SIGKILL under load and started again gives the next verdict within 10 s of its restart
 *   (static group membership: it rejoins with its instance id and gets its partitions back at once, instead of
 *   waiting for the dead member's session to time out), and every published event gets its verdict.
 * - A scanner killed and not restarted: the other member takes over after the session timeout (10 s); one stopped
 *   with SIGTERM leaves the group and is replaced at once.
 * - Two live scanners configured with the same instance id: the broker fences one, which says so and carries on
 *   as a dynamic member; nothing is lost.
 *
 * Timings are printed (`[recovery]` lines); the assertions are the bounds.
 */

/** The bound: the next verdict within this long after the killed scanner is started again. */
const RESTART_TO_VERDICT_MS = 10_000;
/** The runner's session timeout: a member that stops heartbeating is replaced after it. */
const SESSION_TIMEOUT_MS = 10_000;
/** One event published this often while a scenario runs (the load). */
const PUBLISH_EVERY_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recovery after a crash (services as processes)', () => {
  let dir: string;
  let world: World;
  let partner: Partner;
  let verdicts: TopicFollower | undefined;
  /** Verdicts seen on the topic: submission id -> record timestamps (when a scanner produced each). */
  const seen = new Map<string, number[]>();
  const processes: ServiceProcess[] = [];
  /** Loads still publishing (a failed test's), stopped before the partner's producer closes. */
  const loads = new Set<() => Promise<void>>();
  let known: Buffer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mod-recovery-'));
    world = createWorld();
    await world.ready;
    // The platform's topic exists before the scanners start, so their first subscription includes it.
    partner = await kafkaPlatform(world);
    known = await Promise.all([11, 12, 13].map((seed) => makePhoto(seed)));
    const { bank } = await createBank(
      world.db,
      { name: 'known', source: 'e2e', signalTypes: ['sha256'], actionPolicy: 'automatic' },
      world.topics.bankChanges,
    );
    const entries = await Promise.all(
      known.map(async (k) => ({ signal: 'sha256' as const, value: (await hashMedia(k)).sha256 })),
    );
    await addEntries(world.db, bank.id, entries, world.topics.bankChanges);
    verdicts = await followTopic({
      kafka: world.kafka,
      topic: world.topics.verdicts,
      groupId: `${world.prefix}watch-${randomUUID()}`,
      from: new Map(),
      logger,
      onRecord: (r: FollowedRecord) => {
        if (r.key !== null) seen.set(r.key, [...(seen.get(r.key) ?? []), r.timestamp]);
        return Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await stopInOrder([
      ['loads', () => Promise.all([...loads].map((stop) => stop()))],
      ['service processes', () => Promise.all(processes.map((p) => p.kill('SIGKILL')))],
      ['verdict follower', () => verdicts?.stop()],
      ['partner', () => partner?.close()],
      ['world', () => world?.drop()],
      ['log folder', () => rm(dir, { recursive: true, force: true })],
    ]);
  });

  const scanner = async (name: string, env: Record<string, string> = {}) => {
    const p = await spawnService(
      'scanner',
      serviceEnv(world, 'scanner', { HASH_THREADS: '1', LOG_LEVEL: 'info', ...env }),
      {
        logDir: dir,
        name,
      },
    );
    processes.push(p);
    return p;
  };

  /** Publishes a known picture as a new submission of the platform every `PUBLISH_EVERY_MS` until stopped. */
  function startLoad() {
    const published = new Map<string, number>();
    let running = true;
    let n = 0;
    const loop = (async () => {
      while (running) {
        const sentAt = Date.now();
        const submissionId = await publishPartnerMedia(world, partner, known[n++ % known.length] as Buffer);
        published.set(submissionId, sentAt);
        await sleep(PUBLISH_EVERY_MS);
      }
    })();
    const stop = async () => {
      running = false;
      await loop;
      loads.delete(stop);
    };
    loads.add(stop);
    return {
      published,
      /** Stops publishing, then waits until every published event has a verdict; returns how many had two. */
      async finish(): Promise<number> {
        await stop();
        const missing = () => [...published.keys()].filter((id) => !seen.has(id));
        await waitFor(
          'a verdict for every published event',
          async () => missing().length === 0,
          90_000,
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}: ${missing().length} of ${published.size} have none`);
        });
        return [...published.keys()].filter((id) => (seen.get(id)?.length ?? 0) > 1).length;
      },
    };
  }

  /** The earliest verdict a scanner produced at or after `since` (ms since the epoch). */
  const verdictSince = (since: number) =>
    waitFor(
      `a verdict after ${new Date(since).toISOString()}`,
      async () => {
        let first: number | undefined;
        for (const stamps of seen.values())
          for (const t of stamps) if (t >= since && (first === undefined || t < first)) first = t;
        return first;
      },
      90_000,
    );

  /** The earliest verdict of an event published at or after `since` (not one in flight before it). */
  const verdictOfEventSince = (published: ReadonlyMap<string, number>, since: number) =>
    waitFor(
      `a verdict of an event published after ${new Date(since).toISOString()}`,
      async () => {
        let first: number | undefined;
        for (const [id, sentAt] of published) {
          const t = sentAt >= since ? seen.get(id)?.[0] : undefined;
          if (t !== undefined && (first === undefined || t < first)) first = t;
        }
        return first;
      },
      90_000,
    );

  /** The scanner process whose member holds the platform's topic (one partition). */
  async function ownerOfPartnerTopic(byInstanceId: ReadonlyMap<string, ServiceProcess>) {
    const topic = partnerTopic(world.prefix, 'mediaSubmitted', partner.tenantId);
    return waitFor('one member to hold the platform topic', async () => {
      const members = await describeGroupMembers(world.kafka, worldGroups(world.prefix).scanner);
      const owner = members.find((m) => m.assignments.some((a) => a.topic === topic));
      return owner?.groupInstanceId === null || owner?.groupInstanceId === undefined
        ? undefined
        : byInstanceId.get(owner.groupInstanceId);
    });
  }

  it('a scanner killed with SIGKILL under load and restarted gives the next verdict within 10 s; nothing is lost', async () => {
    // Default instance id: `<hostname>-scanner`, the same for the restarted process.
    const first = await scanner('scanner-1');
    await first.ready();
    const load = startLoad();
    await waitFor('verdicts before the kill', async () => seen.size >= 10, 60_000);
    const killedAt = Date.now();
    expect((await first.kill('SIGKILL')).signal).toBe('SIGKILL');
    // A supervisor restarts it a moment later; events keep arriving meanwhile.
    await sleep(1_000);
    const second = await scanner('scanner-2');
    await second.ready();
    const readyAt = Date.now();
    const next = await verdictSince(killedAt);
    console.info(
      `[recovery] SIGKILL, restart 1 s later: ready ${readyAt - second.startedAt} ms after the restart, ` +
        `next verdict ${next - second.startedAt} ms after it (${next - killedAt} ms after the kill)`,
    );
    expect(next - second.startedAt).toBeLessThanOrEqual(RESTART_TO_VERDICT_MS);
    await sleep(3_000);
    const repeated = await load.finish();
    console.info(`[recovery] ${load.published.size} events, every one with a verdict, ${repeated} twice`);
    expect((await second.kill('SIGTERM')).code).toBe(0);
  });

  it('a scanner killed and not restarted is replaced after the session timeout; one stopped with SIGTERM at once', async () => {
    const a = await scanner('scanner-a', { KAFKA_GROUP_INSTANCE_ID: 'scanner-a' });
    const b = await scanner('scanner-b', { KAFKA_GROUP_INSTANCE_ID: 'scanner-b' });
    await Promise.all([a.ready(), b.ready()]);
    const load = startLoad();
    const byId = new Map([
      ['scanner-a', a],
      ['scanner-b', b],
    ]);
    await waitFor('verdicts with both scanners holding partitions', async () => {
      const members = await describeGroupMembers(world.kafka, worldGroups(world.prefix).scanner);
      return members.length === 2 && members.every((m) => m.assignments.length > 0) && seen.size >= 10;
    });
    // The assignment has settled (no member joining any more): the one holding the platform's topic is killed.
    await sleep(2_000);
    const killed = await ownerOfPartnerTopic(byId);
    const killedAt = Date.now();
    await killed.kill('SIGKILL');
    const takenOver = await verdictSince(killedAt);
    console.info(`[recovery] SIGKILL, no restart: next verdict ${takenOver - killedAt} ms after the kill`);
    // The dead member's session times out, then one rebalance: within the timeout and a few seconds.
    expect(takenOver - killedAt).toBeLessThanOrEqual(SESSION_TIMEOUT_MS + 8_000);

    const c = await scanner('scanner-c', { KAFKA_GROUP_INSTANCE_ID: 'scanner-c' });
    await c.ready();
    byId.set('scanner-c', c);
    byId.delete(killed === a ? 'scanner-a' : 'scanner-b');
    // Let the rebalance that let the new member in settle, with verdicts flowing.
    await sleep(3_000);
    const stopped = await ownerOfPartnerTopic(byId);
    const stoppedAt = Date.now();
    const exit = stopped.kill('SIGTERM');
    const replaced = await verdictOfEventSince(load.published, stoppedAt);
    console.info(
      `[recovery] SIGTERM: next verdict of a new event ${replaced - stoppedAt} ms after the signal`,
    );
    expect((await exit).code).toBe(0);
    expect(replaced - stoppedAt).toBeLessThanOrEqual(5_000);
    const repeated = await load.finish();
    console.info(`[recovery] ${load.published.size} events, every one with a verdict, ${repeated} twice`);
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  });

  it('two live scanners with one instance id: the fenced one says so, the group settles, nothing is lost', async () => {
    const twinId = `scanner-twin-${randomUUID().slice(0, 8)}`;
    const env = { KAFKA_GROUP_INSTANCE_ID: twinId };
    const older = await scanner('twin-1', env);
    await older.ready();
    const load = startLoad();
    await waitFor('verdicts from the first twin', async () => seen.size >= 5);
    const newer = await scanner('twin-2', env);
    await newer.ready();
    const fenced = (p: ServiceProcess) => p.lines.some((l) => l.includes('MOD_ERR_KAFKA_INSTANCE_FENCED'));
    // Within a heartbeat or two of the second joining (until then both fetch the same partitions: repeats, no loss).
    await waitFor('a twin to report the shared id', async () => fenced(older) || fenced(newer), 10_000);
    // No endless fencing back and forth: the group settles, stable, both twins in it (the fenced one rejoined as a
    // dynamic member), the id held at most once, someone consuming; and it stays so. (While the fenced twin rejoins,
    // the group rebalances and nobody holds partitions for a moment: "settled" needs the coordinator's Stable.
    // A join the fenced twin's client had in flight with the id can still take it once, fencing the other twin,
    // which rejoins as a dynamic member in turn: "settled" is the same members 3 s apart.)
    const group = worldGroups(world.prefix).scanner;
    const stable = async () => {
      const { state, members } = await describeGroup(world.kafka, group);
      return state === 'Stable' &&
        members.length === 2 &&
        members.filter((m) => m.groupInstanceId === twinId).length <= 1 &&
        members.some((m) => m.assignments.length > 0)
        ? members
        : undefined;
    };
    const ids = (members: readonly { memberId: string }[]) => members.map((m) => m.memberId).sort();
    const settled = async () => {
      const before = await stable();
      if (before === undefined) return undefined;
      await sleep(3_000);
      const after = await stable();
      return after !== undefined && ids(after).join() === ids(before).join() ? after : undefined;
    };
    const first = await waitFor('the group to settle (the same members 3 s apart)', settled);
    await sleep(3_000);
    const later = await describeGroup(world.kafka, group);
    const why = `settled as ${JSON.stringify(first)}, then ${JSON.stringify(later)}`;
    expect(later.state, why).toBe('Stable');
    expect(ids(later.members), why).toEqual(ids(first));
    await load.finish();
    // A failure says why the twin did not stop cleanly (its last log lines).
    expect((await older.kill('SIGTERM')).code, older.tail(15)).toBe(0);
    expect((await newer.kill('SIGTERM')).code, newer.tail(15)).toBe(0);
  });
});
