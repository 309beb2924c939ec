import { describe, expect, it } from 'vitest';
import { ModError, ownRecordTenant } from '@mod/contracts';
import { DEAD_LETTERS_FOLDED } from './index.js';
import type { StepOutcome } from './step.js';
import { freshTopics, lettersOf, runUntil, sendBatch } from './runner-fold.test-helper.js';

// Our own topics are shared by every tenant: one tenant's bad records there must not use up the others' bound.
describe('dead letters of our own topics, bounded per tenant the records name (real Kafka)', () => {
  it("gives each tenant its own bound on a topic of ours: a tenant's ten bad records fold past the cap, another's three after them keep letters of their own", async () => {
    const t = await freshTopics('runner-fold-own-tenants-test');
    const event = (tenantId: string, what: string) => JSON.stringify({ tenantId, what });
    // Offsets 0..9 isp-a's, 10..12 plat-b's, 13 the good record the runner runs until.
    await sendBatch(t.kafka, t.topic, [
      ...Array.from({ length: 10 }, () => event('isp-a', 'bad')),
      ...Array.from({ length: 3 }, () => event('plat-b', 'bad')),
      event('plat-b', 'last'),
    ]);
    let last = false;
    const step = async (m: { value: Buffer | null }): Promise<StepOutcome> => {
      const { what } = JSON.parse(m.value?.toString() ?? '{}') as { what?: string };
      if (what === 'bad') throw new ModError('MOD_ERR_TEST_BAD', 'refused');
      last = true;
      return { kind: 'ok' };
    };
    await runUntil(t, {
      step,
      // The topic is ours: it names no tenant, the records do.
      tenantOf: () => null,
      recordTenantOf: ownRecordTenant,
      deadLetters: { perSource: 5, windowMs: 600_000 },
      done: () => last,
    });
    const letters = await lettersOf(t.kafka, t.dlq, 9);
    const singles = letters.filter((l) => l.folded === undefined).map((l) => Number(l.sourceOffset));
    const summaries = letters.filter((l) => l.folded !== undefined);
    // Before: isp-a's first five had letters of their own and everything after was folded (a summary of 5..12),
    // plat-b's three among them.
    expect(singles.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 10, 11, 12]);
    expect(summaries).toHaveLength(1);
    const summary = summaries[0];
    expect(summary?.reason.code).toBe(DEAD_LETTERS_FOLDED);
    // The summary names the topic's tenant (none: ours); its message, whose bound it was.
    expect(summary?.folded).toMatchObject({ count: 5, firstOffset: '5', lastOffset: '9', tenant: null });
    expect(summary?.reason.message).toMatch(/a topic of our own.*past the 5 of tenant isp-a/);
  });
});
