import {
  partnerSuspension,
  PartnerTopicsByKind,
  tenantOfPartnerTopic,
  type PartnerKind,
} from '@mod/contracts';
import type { Pool } from '@mod/db';
import { getTenant } from '@mod/db/access';
import { appendAuditAlone } from '@mod/db/audit';
import { applyAcls, listTopics, removeAcls, topicWriters, type Kafka } from '@mod/kafka';
import type { Curator } from '@mod/curation';

/** The kind of partner whose inbound topic `topic` is, and its tenant; null when it is no partner's inbound topic. */
export function inboundOf(prefix: string, topic: string): { kind: PartnerKind; tenantId: string } | null {
  for (const kind of Object.keys(PartnerTopicsByKind) as PartnerKind[]) {
    const tenantId = tenantOfPartnerTopic(prefix, PartnerTopicsByKind[kind].inbound, topic);
    if (tenantId !== null) return { kind, tenantId };
  }
  return null;
}

/** One partner principal whose broker access `reconcilePartnerStanding` changed to follow its tenant's standing. */
export interface StandingChange {
  tenant: string;
  principal: string;
  change: 'suspended' | 'restored';
}

/** What the log calls a suspension and its lifting, and the broker's refusal of either. */
const STANDING_AUDIT_ACTIONS = {
  suspended: { done: 'kafka.partner.suspended', failed: 'kafka.partner.suspend_failed' },
  restored: { done: 'kafka.partner.restored', failed: 'kafka.partner.restore_failed' },
} as const;

/** A change of a partner's broker access, as the log records it. */
export interface AccessChange {
  tenantId: string;
  actions: { done: string; failed: string };
  reason: string;
  /** The reason recorded when the broker refuses the change. */
  refusal: string;
  evidence: Record<string, unknown>;
}

/**
 * Puts `change` on record, then makes it on the broker (`apply`); a broker that refuses adds the failure to the
 * record. On record first because the broker is no part of the database's transaction: access the log does not
 * know of is never granted, nor taken away, even when the log is unavailable or modctl dies midway.
 */
export async function onRecordThenBroker(
  pool: Pool,
  by: Curator,
  change: AccessChange,
  apply: () => Promise<void>,
): Promise<void> {
  const audit = (outcome: 'done' | 'failed', reason: string) =>
    appendAuditAlone(pool, {
      actor: by.actor,
      role: by.role,
      tenantId: change.tenantId,
      action: change.actions[outcome],
      subject: { type: 'tenant', id: change.tenantId },
      reason,
      evidence: change.evidence,
    });
  await audit('done', change.reason);
  try {
    await apply();
  } catch (err) {
    await audit('failed', change.refusal).catch(() => undefined);
    throw err;
  }
}

/**
 * Brings every partner principal's broker access in line with its tenant's standing in the database: the principal
 * of a tenant that is disabled, unknown or no longer of its topic's kind is suspended (`partnerSuspension`: DENY
 * bindings, so the broker refuses its produce and its fetches at once, whatever it had in flight), and the
 * suspension of an enabled tenant's principal is lifted, which restores exactly the access it was granted (its ALLOW
 * bindings were never removed). The API, which disables tenants, holds no right to change ACLs (that right is the
 * whole cluster's); this runs as the operator's admin principal, and every change is on record before the broker
 * makes it. Idempotent: a partial suspension (one DENY removed by hand) is completed without a new record.
 * `onlyTenant`: the principals of that tenant's inbound topics alone (the watcher, after the tenant changed).
 */
export async function reconcilePartnerStanding(
  kafka: Kafka,
  pool: Pool,
  prefix: string,
  by: Curator,
  onlyTenant?: string,
): Promise<StandingChange[]> {
  const changes: StandingChange[] = [];
  const inScope = (topic: string) => {
    const inbound = inboundOf(prefix, topic);
    return inbound !== null && (onlyTenant === undefined || inbound.tenantId === onlyTenant);
  };
  for (const topic of await listTopics(kafka, inScope)) {
    const { kind, tenantId } = inboundOf(prefix, topic)!;
    const tenant = await getTenant(pool, tenantId);
    const inStanding = tenant !== null && tenant.disabledAt === null && tenant.kind === kind;
    const denied = await topicWriters(kafka, topic, 'deny');
    const targets = inStanding ? denied : await topicWriters(kafka, topic);
    for (const principal of targets) {
      const suspension = partnerSuspension({ prefix, kind, tenantId, principal });
      if (!inStanding && denied.includes(principal)) {
        await applyAcls(kafka, suspension);
        continue;
      }
      const change = inStanding ? 'restored' : 'suspended';
      const why =
        tenant === null
          ? `no tenant ${tenantId}`
          : tenant.disabledAt !== null
            ? `tenant ${tenantId} is disabled`
            : tenant.kind !== kind
              ? `tenant ${tenantId} is a ${tenant.kind}, not a ${kind}`
              : `tenant ${tenantId} is enabled`;
      await onRecordThenBroker(
        pool,
        by,
        {
          tenantId,
          actions: STANDING_AUDIT_ACTIONS[change],
          reason: `${why}: Kafka access of principal ${principal} ${change}`,
          refusal: `the broker refused to change principal ${principal}'s access (${change})`,
          evidence: { principal, topic },
        },
        () => (inStanding ? removeAcls(kafka, suspension) : applyAcls(kafka, suspension)),
      );
      changes.push({ tenant: tenantId, principal, change });
    }
  }
  return changes;
}
