import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { Codecs, type OrderEvent } from '@mod/contracts';
import { mapHostToPlatform, type Order } from '@mod/db/orders';
import { readPartners, waitFor } from './helpers.js';
import {
  automaticHit,
  call,
  publishVerdict,
  startContentServer,
  startOrdersWorld,
  type ContentServer,
  type OrdersWorld,
} from './orders-helpers.js';

/**
 * The scene of the order lifecycle tests, shared by their files: an orders world (re-notices every 6 h, on the
 * test clock) and a content server whose host maps to `platform-1`; and the steps the tests repeat (orders of a
 * submission, an order as the API shows it, a lifecycle tick, order events, an automatic takedown, an order by
 * hand).
 */

export let ow: OrdersWorld;
export let content: ContentServer;
export const photo = Buffer.from('pretend these are the bytes of a known image');

/** Starts the scene before the file's tests (`beforeAll`) and stops it after them (`afterAll`). */
export function useOrdersScene(): void {
  beforeAll(async () => {
    ow = await startOrdersWorld({ RENOTICE_INTERVAL_HOURS: '6' });
    content = await startContentServer();
    await mapHostToPlatform(ow.world.db, content.host, 'platform-1');
  });
  afterAll(async () => {
    await content?.close();
    await ow?.close();
  });
}

export const ordersOf = async (submissionId: string) => {
  const { rows } = await ow.world.db.query<{ id: string; kind: string; target_tenant_id: string }>(
    'select id, kind, target_tenant_id from orders where submission_id = $1 order by kind, target_tenant_id',
    [submissionId],
  );
  return rows;
};
export const getOrder = async (id: string, key = ow.keys['authority-1']) => {
  const res = await call(ow, key, 'GET', `/v1/orders/${id}`);
  expect(res.statusCode).toBe(200);
  return res.json<Order>();
};
export const tick = () => ow.actioner.lifecycle.tick();
/** Every target of this world: each reads its order events on its own topic. */
export const TARGETS = ['isp-1', 'isp-2', 'platform-1', 'platform-2'];
export const eventsFor = async (orderId: string, until: (events: OrderEvent[]) => boolean) => {
  const records = await readPartners(ow.world, 'orderEvents', TARGETS, (r) =>
    until(r.map((m) => Codecs.orderEvent.decode(m.value)).filter((e) => e.orderId === orderId)),
  );
  return records.map((m) => Codecs.orderEvent.decode(m.value)).filter((e) => e.orderId === orderId);
};

/** An automatic bank hit for content seen at `path` on the platform's host; returns its takedown order id. */
export async function automaticTakedown(
  path: string,
): Promise<{ takedown: string; blocking: string[]; submissionId: string }> {
  // Each test's content differs: blocking orders for the same content would fold into one.
  const body = Buffer.from(`${photo.toString()} at ${path}`);
  content.serve(path, { status: 200, body });
  const verdict = await publishVerdict(ow, {
    hits: [automaticHit()],
    url: `${content.base}${path}`,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
  const orders = await waitFor('orders for the verdict', async () => {
    const rows = await ordersOf(verdict.submissionId);
    return rows.length === 3 ? rows : undefined;
  });
  return {
    takedown: orders.find((o) => o.kind === 'takedown')!.id,
    blocking: orders.filter((o) => o.kind === 'blocking').map((o) => o.id),
    submissionId: verdict.submissionId,
  };
}

/** `POST /v1/orders` with `key`: a takedown to `platform-1` unless `body` says otherwise; the raw answer. */
export function requestOrder(key: string, body: Record<string, unknown>) {
  return call(ow, key, 'POST', '/v1/orders', { kind: 'takedown', targetTenantId: 'platform-1', ...body });
}

/** An order issued by hand by `authority-1` (`requestOrder`), which must be accepted. */
export async function manualOrder(body: Record<string, unknown>): Promise<Order> {
  const res = await requestOrder(ow.keys['authority-1'], body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>();
}
