import { waitFor } from './waiting.js';
import type { World } from './world.js';

/** The `n` of a `select count(*)::int as n …` query in the world's schema (0 when it returns no row). */
export async function rowCount(world: World, sql: string, params: unknown[] = []): Promise<number> {
  return (await world.db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;
}

/** Waits until every submission of `submissionIds` is scanned (named `what` if it times out). */
export async function waitScanned(
  world: World,
  what: string,
  submissionIds: readonly string[],
  timeoutMs?: number,
): Promise<void> {
  await waitFor(
    what,
    async () =>
      (await rowCount(
        world,
        `select count(*)::int as n from submissions where id = any($1) and status = 'scanned'`,
        [submissionIds],
      )) === submissionIds.length,
    timeoutMs,
  );
}
