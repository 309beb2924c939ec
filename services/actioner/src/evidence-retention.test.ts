import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger, createRegistry } from '@mod/telemetry';
import { serviceActor } from '@mod/vault';
import { createMemoryEvidenceStore } from '@mod/vault/testing';
import { createManualClock } from './clock.js';
import { createEvidenceRetention, createEvidenceRetentionMetrics } from './evidence-retention.js';

const T0 = new Date('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;

async function world(items: number) {
  const store = createMemoryEvidenceStore();
  for (let i = 0; i < items; i++)
    await store.keep({
      tenantId: 'platform-a',
      submissionId: randomUUID(),
      bytes: randomBytes(100),
      reason: 'classifier',
      by: serviceActor('classifier'),
      at: T0,
    });
  const registry = createRegistry('actioner-test');
  const clock = createManualClock(T0);
  const retention = createEvidenceRetention({
    store,
    policy: { afterCaseClosedHours: 24, unlinkedHours: 10 },
    batchSize: 2,
    maxBatches: 2,
    clock,
    logger: createLogger('test', 'silent'),
    metrics: createEvidenceRetentionMetrics(registry),
  });
  const metric = async (text: string) => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(text));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  return { store, clock, retention, metric };
}

describe('evidence retention pass', () => {
  it('destroys what is due in batches, at most maxBatches per pass, and reports items by state', async () => {
    const w = await world(5);
    expect(await w.retention.sweep()).toBe(0);
    expect(await w.metric('mod_vault_items{state="unlinked",service="actioner-test"}')).toBe(5);
    w.clock.advance(10 * HOUR);
    expect(await w.retention.sweep()).toBe(4); // two batches of two
    expect(await w.retention.sweep()).toBe(1);
    expect(await w.retention.sweep()).toBe(0);
    expect(await w.metric('mod_vault_destroyed_total')).toBe(5);
    expect(await w.metric('mod_vault_items{state="destroyed",service="actioner-test"}')).toBe(5);
    expect(await w.metric('mod_vault_items{state="unlinked",service="actioner-test"}')).toBe(0);
  });

  it('leaves evidence under legal hold, and counts it', async () => {
    const w = await world(1);
    const [item] = await w.store.list({ scope: { all: true }, limit: 1 });
    await w.store.setLegalHold(
      item!.id,
      { all: true },
      {
        by: { actor: { kind: 'user', id: 'k' }, role: 'authority', tenantId: 'authority-a' },
        authorityTenantId: 'authority-a',
        mayOverride: false,
        reason: 'investigation',
        at: T0,
      },
    );
    w.clock.advance(1000 * HOUR);
    expect(await w.retention.sweep()).toBe(0);
    expect(await w.metric('mod_vault_items{state="legal-hold",service="actioner-test"}')).toBe(1);
  });
});
