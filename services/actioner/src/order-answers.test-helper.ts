import { expect } from 'vitest';
import type { Pool } from '@mod/db';
import { commandOrder } from '@mod/db/orders';

/** Platform `target`'s answer "actioned" to order `id` at `now`, as POST /v1/orders/:id/actioned records it. */
export async function answerActioned(db: Pool, id: string, target: string, now: Date): Promise<void> {
  const r = await commandOrder(db, {
    id,
    scope: { all: false, targetTenantId: target },
    command: { type: 'action', note: 'removed' },
    now,
    actor: `platform:${target}:key-1`,
  });
  expect(r.ok).toBe(true);
}
