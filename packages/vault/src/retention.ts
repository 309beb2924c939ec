import type { EvidenceItem } from './evidence.js';

const HOUR_MS = 3_600_000;

/**
 * How long the vault keeps an item (configuration, `VAULT_RETENTION_AFTER_CLOSE_HOURS` and
 * `VAULT_UNLINKED_RETENTION_HOURS`). A legal hold overrides both for as long as it is set.
 */
export interface RetentionPolicy {
  /** Hours after its case closes that an item's bytes and key are destroyed. */
  afterCaseClosedHours: number;
  /** Hours after it was kept that an item no case ever named is destroyed. */
  unlinkedHours: number;
}

/**
 * When retention destroys `item`: `caseClosedAt + afterCaseClosedHours` once its case is closed,
 * `createdAt + unlinkedHours` while no case names it, never (null) while its case is open, while it is under
 * legal hold, or once it is destroyed. The PostgreSQL sweep selects with the same rule in SQL and checks each
 * row with this function before destroying it.
 */
export function destructionDueAt(
  item: Pick<EvidenceItem, 'createdAt' | 'caseId' | 'caseClosedAt' | 'legalHold' | 'destroyedAt'>,
  policy: RetentionPolicy,
): Date | null {
  if (item.destroyedAt !== null || item.legalHold !== null) return null;
  if (item.caseClosedAt !== null)
    return new Date(Date.parse(item.caseClosedAt) + policy.afterCaseClosedHours * HOUR_MS);
  if (item.caseId === null) return new Date(Date.parse(item.createdAt) + policy.unlinkedHours * HOUR_MS);
  return null;
}

/** Whether retention destroys `item` at `now`. */
export function destructionDue(
  item: Parameters<typeof destructionDueAt>[0],
  policy: RetentionPolicy,
  now: Date,
): boolean {
  const due = destructionDueAt(item, policy);
  return due !== null && due.getTime() <= now.getTime();
}

/** The rule under which retention destroys `item`, in words (its audit record's reason). */
export function destructionRule(
  item: Parameters<typeof destructionDueAt>[0],
  policy: RetentionPolicy,
): string {
  return item.caseClosedAt !== null
    ? `kept ${policy.afterCaseClosedHours} h after its case closed at ${item.caseClosedAt}`
    : `no case named it within ${policy.unlinkedHours} h of ${item.createdAt}`;
}
