import { describe, expect, it } from 'vitest';
import { Consumer, MessagesStreamModes, type Message } from '@platformatic/kafka';
import { createCommitter } from './committer.js';
import { newConsumer } from './consumer.js';
import { committedOffsets, freshTopics } from './runner-fold.test-helper.js';
import { logger, waitFor, waitForAsync } from './runner.test-helper.js';

type Commit = (options: Parameters<ReturnType<typeof newConsumer>['commit']>[0]) => Promise<void>;

describe('a commit checked for ownership whose request leaves after the JoinGroup answer (real Kafka)', () => {
  it('is refused, not sent under the new generation: the partition taken stays uncommitted, the one kept is committed again', async () => {
    const t = await freshTopics('stale-commit-test', { partitions: 2 });
    const group = `${t.prefix}g`;
    const a = newConsumer(t.kafka, group, { maxWaitTime: 1_000 });
    const b = newConsumer(t.kafka, group, { maxWaitTime: 1_000 });
    let joins = 0;
    a.on('consumer:group:join', () => joins++);
    try {
      // The topic is empty: the stream only follows the joins.
      const stream = await a.consume({
        topics: [t.topic],
        mode: MessagesStreamModes.COMMITTED,
        autocommit: false,
      });
      await waitFor(() => a.assignments?.[0]?.partitions.length === 2);
      const commits = createCommitter(a, logger, undefined, stream.joins);
      // The commit the committer hands the client waits (as the client's own look-up of the coordinator may) until
      // the client heard the JoinGroup answer of the next generation, then goes on at once: its request is built
      // before the SyncGroup answer (and so before the join is heard).
      const own: Commit = (options) => Consumer.prototype.commit.call(a, options);
      const checked = a.generationId;
      let held = 0;
      (a as unknown as { commit: Commit }).commit = async (options) => {
        held++;
        while (a.generationId === checked) await new Promise((r) => setImmediate(r));
        return own(options);
      };
      for (const partition of [0, 1]) {
        const raw = { topic: t.topic, partition, offset: 4n, leaderEpoch: -1 };
        commits.done(
          commits.track(
            raw as Message<Buffer, Buffer, Buffer, Buffer>,
            commits.ownership(t.topic, partition),
          ),
        );
      }
      await waitFor(() => held === 1);
      // A member joins and takes a partition.
      const joined = joins;
      await b.consume({ topics: [t.topic], mode: MessagesStreamModes.LATEST, autocommit: false });
      await waitFor(() => joins >= joined + 1 && (b.assignments?.[0]?.partitions.length ?? 0) === 1);
      const moved = b.assignments![0]!.partitions[0]!;
      const kept = 1 - moved;
      // The committer sends again what it owns still, under the generation it heard.
      await waitForAsync(async () => (await committedOffsets(t.kafka, group, t.topic)).get(kept) === 5n);
      await commits.flush();
      // Before: the commit went out with the new generation, which the broker took for both partitions, the one
      // taken by `b` too (5, though `b` had read none of it).
      expect((await committedOffsets(t.kafka, group, t.topic)).get(moved) ?? -1n).toBe(-1n);
      commits.close();
    } finally {
      await b.close(true).catch(() => undefined);
      await a.close(true);
    }
  }, 120_000);
});
