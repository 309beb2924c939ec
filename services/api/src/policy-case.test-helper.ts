import type { Pool } from '@mod/db';
import { defaultPolicy, evaluateVerdict, withCaseReason } from '@mod/policy';

/**
 * Gives a seeded case the reason and evidence policy writes for `verdict` (its first planned case, with the reason's
 * code), as the actioner would have opened it: for the tests of what a case detail reads from its evidence.
 */
export async function openedByPolicy(
  db: Pool,
  caseId: string,
  verdict: Parameters<typeof evaluateVerdict>[0],
): Promise<void> {
  const decision = evaluateVerdict(verdict, {
    policy: defaultPolicy,
    ispSubscribers: [],
    urlProvenance: { submitterTenantId: 'plat-1', observed: false },
    now: new Date(),
  });
  const planned = decision.cases[0]!;
  await db.query('update cases set reason = $2, evidence = $3 where id = $1', [
    caseId,
    planned.reason,
    JSON.stringify(withCaseReason(decision.evidence, planned.caseReason)),
  ]);
}
