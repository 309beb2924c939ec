import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serviceActor, type EvidenceToKeep, type VaultActor } from './evidence.js';
import type { HoldRequest } from './legal-hold.js';
import type { RetentionPolicy } from './retention.js';

// `@mod/vault/testing/evidence`: the world the `EvidenceStore` tests keep evidence in, the in-memory store's here
// and the PostgreSQL store's in `@mod/db`: the same photo, actors, clock, retention and holds. Tests only; never
// part of this package's main entry.

/** The photo kept as evidence (a JPEG from this package's fixtures). */
export const photo = readFileSync(new URL('../fixtures/clipper_ship.jpg', import.meta.url));

/** The classifier keeping evidence, and the actioner's retention sweep destroying it, on their own accounts. */
export const classifier = serviceActor('classifier');
export const actioner = serviceActor('actioner');

/** A reviewer of the hotline (its key `key-reviewer`) opening evidence. */
export const reviewer: VaultActor = {
  actor: { kind: 'user', id: 'key-reviewer' },
  role: 'reviewer',
  tenantId: 'hotline',
};

/** The tests' clock: `T0` (2026-03-01T00:00Z) and `hours(h)`, `h` hours after it. */
export const T0 = new Date('2026-03-01T00:00:00Z');
export const hours = (h: number): Date => new Date(T0.getTime() + h * 3_600_000);

/**
 * What the classifier keeps of the photo for `platform-a` at `T0`, under a new submission id, with what `over` sets
 * instead.
 */
export const evidenceToKeep = (over: Partial<EvidenceToKeep> = {}): EvidenceToKeep => ({
  tenantId: 'platform-a',
  submissionId: randomUUID(),
  bytes: photo,
  reason: 'classifier',
  by: classifier,
  at: T0,
  ...over,
});

/** Destroyed 24 h after its case closes, or 72 h after it was kept when no case names it. */
export const retentionPolicy: RetentionPolicy = { afterCaseClosedHours: 24, unlinkedHours: 72 };

/**
 * A legal hold request of the authority tenant `authorityTenantId` (its key `key-<tenant>`, not overriding
 * another authority's hold), at `hours(1)`, with what `over` sets instead.
 */
export const holdBy = (authorityTenantId: string, over: Partial<HoldRequest> = {}): HoldRequest => ({
  by: {
    actor: { kind: 'user', id: `key-${authorityTenantId}` },
    role: 'authority',
    tenantId: authorityTenantId,
  },
  authorityTenantId,
  mayOverride: false,
  reason: 'investigation 7/2026',
  at: hours(1),
  ...over,
});
