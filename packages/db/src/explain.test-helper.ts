import type { Pool, PoolClient } from './pool.js';

// What a statement reads, for tests that check a plan (rows read, indexes used), never its time.

/** A node of a plan as EXPLAIN (ANALYZE, FORMAT JSON) gives it, with the fields these tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** The node and every node under it. */
export const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** The scans (sequential, index, bitmap) of `tables` in `plan`. */
export const scansOf = (plan: PlanNode, tables: readonly string[]): PlanNode[] =>
  nodes(plan).filter((n) => n['Node Type'].includes('Scan') && tables.includes(n['Relation Name'] ?? ''));

/** The rows a scan read over all its loops: those it gave and those its filter passed over. */
export const rowsRead = (n: PlanNode): number =>
  (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'];

/**
 * A pool whose transactions, before each statement marked `marker`, run it under EXPLAIN ANALYZE and undo that
 * (a savepoint), pushing its plan to `plans`; then run it.
 */
export function explaining(pool: Pool, marker: string, plans: PlanNode[]): Pool {
  const query = (c: PoolClient) => async (text: unknown, values?: unknown[]) => {
    if (typeof text === 'string' && text.includes(marker)) {
      await c.query('savepoint plan');
      const { rows } = await c.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `explain (analyze, format json) ${text}`,
        values,
      );
      const plan = rows[0]?.['QUERY PLAN'][0].Plan;
      if (plan !== undefined) plans.push(plan);
      await c.query('rollback to savepoint plan');
    }
    return c.query(text as string, values);
  };
  const client = (c: PoolClient): PoolClient =>
    new Proxy(c, {
      get: (target, key) => (key === 'query' ? query(target) : (Reflect.get(target, key, target) as unknown)),
    });
  return new Proxy(pool, {
    get: (target, key) =>
      key === 'connect'
        ? async () => client(await target.connect())
        : (Reflect.get(target, key, target) as unknown),
  });
}
