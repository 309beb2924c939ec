import type { RefusedHead, RefusedHeadSink } from '@mod/db/audit';
import { Counter, type Registry } from '@mod/telemetry';

/** The reasons head selection refuses a stored head row (`RefusedHead` of @mod/db), each counted from 0. */
export const RefusedHeadReasons = [
  'bad_signature',
  'wrong_log',
  'fork',
] as const satisfies readonly RefusedHead['reason'][];

const REFUSED_ROWS = 'mod_api_audit_head_rows_refused_total';

/**
 * Registers `mod_api_audit_head_rows_refused_total{reason}`: stored tree-head rows of a trusted key's id that
 * head selection passed over because they are no head of this log (a bad signature, another log's, a fork of one
 * size), and the tree-heads topic's messages of a trusted key's id the signer's start-up read passed over (a bad
 * signature, another log's: `lastPublishedTreeHead`). Each read that meets such a row counts it again, so a steady
 * rate means the rows are still there; any increase means someone wrote to audit_tree_heads (or the topic) who
 * should not have (the API's log names the rows).
 */
export function registerRefusedHeadMetric(registry: Registry): RefusedHeadSink {
  // Once a registry: a second app on it (a restart in one process, tests) counts on the same counter.
  const known = registry.getSingleMetric(REFUSED_ROWS);
  const counter =
    known instanceof Counter
      ? (known as Counter<'reason'>)
      : new Counter({
          name: REFUSED_ROWS,
          help: 'Audit tree-head rows (stored, or on the tree-heads topic) refused by head selection (bad_signature, wrong_log, fork), per read',
          labelNames: ['reason'] as const,
          registers: [registry],
        });
  RefusedHeadReasons.forEach((reason) => counter.inc({ reason }, 0));
  return ({ reason }) => counter.inc({ reason });
}
