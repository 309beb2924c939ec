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

export const photo = Buffer.from('pretend these are the bytes of a known image');
/** Every target of this world: each reads its order events on its own topic. */
export const TARGETS = ['isp-1', 'isp-2', 'platform-1', 'platform-2'];

type Tenant = keyof OrdersWorld['keys'];

/** What `useOrdersScene` sets up, and the steps the tests repeat: there once its `beforeAll` has run. */
export class OrdersScene {
  /** The orders world: its API, actioner, test clock, webhook receiver and the tenants' API keys. */
  declare ow: OrdersWorld;
  /** A web server whose host maps to `platform-1`. */
  declare content: ContentServer;

  /** `method path` on the API with `tenant`'s API key (and `body` as JSON): the raw answer. */
  call(tenant: Tenant, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
    return call(this.ow, this.ow.keys[tenant], method, path, body);
  }

  /** The orders of a submission, by kind and target. */
  async ordersOf(submissionId: string) {
    const { rows } = await this.ow.world.db.query<{ id: string; kind: string; target_tenant_id: string }>(
      'select id, kind, target_tenant_id from orders where submission_id = $1 order by kind, target_tenant_id',
      [submissionId],
    );
    return rows;
  }

  /** An order as the API shows it to `tenant`, which must be allowed to see it. */
  async getOrder(id: string, tenant: Tenant = 'authority-1') {
    const res = await this.call(tenant, 'GET', `/v1/orders/${id}`);
    expect(res.statusCode).toBe(200);
    return res.json<Order>();
  }

  /** One run of the actioner's order lifecycle at the test clock's time. */
  tick() {
    return this.ow.actioner.lifecycle.tick();
  }

  /** The order events of `orderId` on the targets' own topics, once `until` holds for them. */
  async eventsFor(orderId: string, until: (events: OrderEvent[]) => boolean) {
    const records = await readPartners(this.ow.world, 'orderEvents', TARGETS, (r) =>
      until(r.map((m) => Codecs.orderEvent.decode(m.value)).filter((e) => e.orderId === orderId)),
    );
    return records.map((m) => Codecs.orderEvent.decode(m.value)).filter((e) => e.orderId === orderId);
  }

  /**
   * An automatic bank hit for content the fetcher fetched at `path` on the platform's host (observed there, so the
   * takedown goes to the platform though another tenant's submission it is); returns its orders.
   */
  async automaticTakedown(
    path: string,
  ): Promise<{ takedown: string; blocking: string[]; submissionId: string }> {
    // Each test's content differs: blocking orders for the same content would fold into one.
    const body = Buffer.from(`${photo.toString()} at ${path}`);
    this.content.serve(path, { status: 200, body });
    const verdict = await publishVerdict(this.ow, {
      hits: [automaticHit()],
      url: `${this.content.base}${path}`,
      sha256: createHash('sha256').update(body).digest('hex'),
      source: 'fetcher',
    });
    const orders = await waitFor('orders for the verdict', async () => {
      const rows = await this.ordersOf(verdict.submissionId);
      return rows.length === 3 ? rows : undefined;
    });
    return {
      takedown: orders.find((o) => o.kind === 'takedown')!.id,
      blocking: orders.filter((o) => o.kind === 'blocking').map((o) => o.id),
      submissionId: verdict.submissionId,
    };
  }

  /** `POST /v1/orders` as `tenant`: a takedown to `platform-1` unless `body` says otherwise; the raw answer. */
  requestOrder(tenant: Tenant, body: Record<string, unknown>) {
    return this.call(tenant, 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'platform-1',
      ...body,
    });
  }

  /** An order issued by hand by `authority-1` (`requestOrder`), which must be accepted. */
  async manualOrder(body: Record<string, unknown>): Promise<Order> {
    const res = await this.requestOrder('authority-1', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Order>();
  }
}

/** Starts the scene before the file's tests (`beforeAll`) and stops it after them (`afterAll`). */
export function useOrdersScene(): OrdersScene {
  const scene = new OrdersScene();
  beforeAll(async () => {
    scene.ow = await startOrdersWorld({ RENOTICE_INTERVAL_HOURS: '6' });
    scene.content = await startContentServer();
    await mapHostToPlatform(scene.ow.world.db, scene.content.host, 'platform-1');
  });
  // Whatever the beforeAll got to set, should it have failed half-way.
  const set: Partial<OrdersScene> = scene;
  afterAll(async () => {
    await set.content?.close();
    await set.ow?.close();
  });
  return scene;
}
