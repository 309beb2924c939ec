import { describe, expect, it } from 'vitest';
import type { PendingMedia } from '@mod/db/submissions';
import { createLogger } from '@mod/telemetry';
import { createMediaDispatcher } from './media-dispatch.js';

const MiB = 1024 * 1024;
const message = (id: number): PendingMedia => ({
  id,
  topic: 'mod.media-submitted.v2',
  key: `submission-${id}`,
  meta: Buffer.from('{}'),
  media: Buffer.alloc(MiB, id),
  traceparent: null,
});

describe('media dispatcher', () => {
  it('holds no more than its byte budget while the broker is slow: the rest stays in the outbox for the relay', async () => {
    const published: number[] = [];
    const removed: number[] = [];
    let release: () => void = () => undefined;
    let slow = new Promise<void>((r) => (release = r));
    const dispatcher = createMediaDispatcher({
      publish: async (messages) => {
        await slow;
        published.push(...messages.map((m) => m.id));
      },
      remove: async (ids) => void removed.push(...ids),
      logger: createLogger('test', 'silent'),
      maxHeldBytes: 3 * MiB + 100,
    });
    // Ten uploads of 1 MiB while the first publish hangs: three are held, seven left to the relay.
    for (let id = 1; id <= 10; id++) dispatcher.dispatch(message(id));
    release();
    await dispatcher.drain();
    expect(published).toEqual([1, 2, 3]);
    expect(removed).toEqual([1, 2, 3]);
    // Once published, the budget is free again; and one message is taken whatever its size.
    slow = Promise.resolve();
    dispatcher.dispatch(message(11));
    await dispatcher.drain();
    const big = { ...message(12), media: Buffer.alloc(5 * MiB) };
    dispatcher.dispatch(big);
    await dispatcher.drain();
    expect(published).toEqual([1, 2, 3, 11, 12]);
  });

  it('frees the budget of a batch the broker refused (its rows stay for the relay)', async () => {
    let fail = true;
    const published: number[] = [];
    const dispatcher = createMediaDispatcher({
      publish: async (messages) => {
        if (fail) throw new Error('broker away');
        published.push(...messages.map((m) => m.id));
      },
      remove: async () => undefined,
      logger: createLogger('test', 'silent'),
      maxHeldBytes: 2 * MiB + 100,
    });
    for (let id = 1; id <= 2; id++) dispatcher.dispatch(message(id));
    await dispatcher.drain();
    fail = false;
    for (let id = 3; id <= 4; id++) dispatcher.dispatch(message(id));
    await dispatcher.drain();
    expect(published).toEqual([3, 4]);
  });
});
