import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import {
  claimDueWebhooks,
  commandOrder,
  enqueueWebhook,
  listWebhookDeliveries,
  openOrder,
  setWebhookEndpoint,
} from '@mod/db/orders';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { createLogger } from '@mod/telemetry';
import { defaultAddressPolicy, type AddressPolicy, type Resolver } from '@mod/urls/fetch';
import { createManualClock } from './clock.js';
import type { LifecycleOptions } from './lifecycle.js';
import { testLifecycle } from './lifecycle.test-helper.js';
import { SIGNATURE_HEADER } from './webhook-signing.js';
import { createSafeWebhookSender, type WebhookSender } from './webhook-sender.js';

// Traffic stays on loopback: the receiver listens on 127.0.0.1, and the only sender allowed to reach it is one
// whose test policy treats 127.0.0.1 as public. The production sender must refuse it.
let db: TestDatabase;
let server: Server;
let port = 0;
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await createTestSchema();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});
beforeEach(() => {
  received.length = 0;
});

const lifecycle = (sender?: WebhookSender, more: Partial<LifecycleOptions> = {}) =>
  testLifecycle(db.pool, clock, { ...(sender === undefined ? {} : { sender }), ...more });

/** A new tenant of `kind` with its webhook at `url`. */
async function tenantWithWebhook(kind: 'platform' | 'authority', url: string): Promise<string> {
  const tenantId = `${kind}-${randomBytes(4).toString('hex')}`;
  await upsertTenant(db.pool, { id: tenantId, kind, name: tenantId, subscribedToBlocking: false });
  await setWebhookEndpoint(db.pool, { tenantId, url });
  return tenantId;
}

/** A platform tenant with its webhook at `url` and one order whose `order.issued` message is due. */
async function orderWithWebhook(url: string): Promise<string> {
  return orderFor(await tenantWithWebhook('platform', url));
}

/** One more order for the platform `tenantId`, whose `order.issued` message is due. */
async function orderFor(tenantId: string): Promise<string> {
  const order = await openOrder(db.pool, {
    kind: 'takedown',
    subjectType: 'content-hash',
    subjectValue: randomBytes(32).toString('hex'),
    targetTenantId: tenantId,
    legalBasis: 'test',
    issuer: { kind: 'policy', id: 'test' },
    deadlineAt: new Date(clock.now().getTime() + 86_400_000),
    evidence: {},
    policyVersion: 't',
    submissionId: null,
    actor: 'test',
  });
  await enqueueWebhook(db.pool, {
    tenantId,
    orderId: order.id,
    event: 'order.issued',
    payload: { event: 'order.issued', order: { id: order.id } },
    now: clock.now(),
  });
  return order.id;
}

/** What a delivery refused for a non-public address records, for the order's parties to read. */
const notPublic = 'blocked-address: the host resolved to an address that is not public';
const attemptsOf = async (orderId: string) =>
  (await listWebhookDeliveries(db.pool, orderId)).flatMap((d) =>
    d.attempts.map((a) => ({ status: d.status, statusCode: a.statusCode, error: a.error })),
  );

/** The tenant an order targets (whose endpoint its messages go to). */
const targetOf = async (orderId: string): Promise<string> =>
  (
    await db.pool.query<{ tenant: string }>('select target_tenant_id as tenant from orders where id = $1', [
      orderId,
    ])
  ).rows[0]!.tenant;

/** A sender that treats 127.0.0.1 as public (the test's receivers), over plain HTTP. */
const loopbackSender = () =>
  createSafeWebhookSender({
    addressPolicy: (a) => (a === '127.0.0.1' ? 'allow' : defaultAddressPolicy(a)),
    allowPlainHttp: true,
  });

/** Queues `event` for `orderId`'s target at the clock's time. */
const queue = async (orderId: string, event: string, now = clock.now()) =>
  enqueueWebhook(db.pool, { tenantId: await targetOf(orderId), orderId, event, payload: { event }, now });

describe('webhook deliveries go through the SSRF-safe fetcher', () => {
  it('by default (production settings) never reaches a loopback receiver, by IP or by name', async () => {
    const plain = await orderWithWebhook(`http://127.0.0.1:${port}/hooks`);
    const byIp = await orderWithWebhook(`https://127.0.0.1:${port}/hooks`);
    // `localhost` comes from the hosts file, so this asks no DNS server anything.
    const byName = await orderWithWebhook(`https://localhost:${port}/hooks`);
    expect(await lifecycle().runWebhooks()).toEqual({ webhooksDelivered: 0, webhooksFailed: 3 });
    expect(received).toEqual([]);
    expect(await attemptsOf(plain)).toEqual([
      { status: 'pending', statusCode: null, error: 'bad-url: webhook targets must be https, not http:' },
    ]);
    expect(await attemptsOf(byIp)).toEqual([{ status: 'pending', statusCode: null, error: notPublic }]);
    expect(await attemptsOf(byName)).toEqual([{ status: 'pending', statusCode: null, error: notPublic }]);
  });

  it('resolves the target again at every delivery: a name that turned private is refused', async () => {
    const answers: Record<string, string> = { 'hooks.platform.test': '127.0.0.1' };
    const lookups: string[] = [];
    const resolver: Resolver = (name) => {
      lookups.push(name);
      const address = answers[name];
      return address === undefined
        ? Promise.reject(new Error(`getaddrinfo ENOTFOUND ${name}`))
        : Promise.resolve([{ address, family: 4 }]);
    };
    // 127.0.0.1 plays the tenant's public host; everything else gets the production policy.
    const policy: AddressPolicy = (a) => (a === '127.0.0.1' ? 'allow' : defaultAddressPolicy(a));
    const sender = createSafeWebhookSender({
      resolver,
      addressPolicy: policy,
      allowPlainHttp: true,
      beforeConnect: (t) => {
        if (t.address !== '127.0.0.1') throw new Error('test guard: loopback only');
      },
    });
    const logged: { detail?: string; deliveryId?: string }[] = [];
    const write = (line: string) => void logged.push(JSON.parse(line) as { detail?: string });
    const run = lifecycle(sender, { logger: createLogger('actioner-test', 'info', { write }) });
    const first = await orderWithWebhook(`http://hooks.platform.test:${port}/hooks`);
    expect(await run.runWebhooks()).toEqual({ webhooksDelivered: 1, webhooksFailed: 0 });
    expect(received).toHaveLength(1);
    expect(received[0]?.headers.host).toBe(`hooks.platform.test:${port}`);
    expect(received[0]?.headers[SIGNATURE_HEADER]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'order.issued', order: { id: first } });

    answers['hooks.platform.test'] = '10.0.0.5';
    const second = await orderWithWebhook(`http://hooks.platform.test:${port}/hooks`);
    expect(await run.runWebhooks()).toEqual({ webhooksDelivered: 0, webhooksFailed: 1 });
    expect(received).toHaveLength(1);
    // The parties read the reason, not what the name resolved to (the tenant owns it); the log has the address.
    expect(await attemptsOf(second)).toEqual([{ status: 'pending', statusCode: null, error: notPublic }]);
    const [delivery] = await listWebhookDeliveries(db.pool, second);
    const details = logged.filter((l) => l.deliveryId === delivery?.id).map((l) => l.detail);
    expect(details).toEqual(['blocked-address: 10.0.0.5: refuse:private']);
    expect(lookups).toEqual(['hooks.platform.test', 'hooks.platform.test']);
  });

  it('does not follow a redirect: a 3xx is a failed delivery', async () => {
    const redirecting = createServer((_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${port}/hooks` }).end(),
    );
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const other = (redirecting.address() as AddressInfo).port;
      const sender = loopbackSender();
      const order = await orderWithWebhook(`http://127.0.0.1:${other}/hooks`);
      await lifecycle(sender).runWebhooks();
      expect(await attemptsOf(order)).toEqual([{ status: 'pending', statusCode: 307, error: 'HTTP 307' }]);
      expect(received).toEqual([]);
    } finally {
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });
});

describe('a disabled endpoint', () => {
  it('is sent nothing, not even what was queued before it was disabled, until it is enabled again', async () => {
    const sender = loopbackSender();
    const url = `http://127.0.0.1:${port}/hooks`;
    // Queued while enabled; then the tenant turns its endpoint off (its domain lapsed, its receiver moved...).
    const orderId = await orderWithWebhook(url);
    const tenantId = await targetOf(orderId);
    await setWebhookEndpoint(db.pool, { tenantId, url, enabled: false });
    const run = lifecycle(sender);
    expect(await run.runWebhooks()).toEqual({ webhooksDelivered: 0, webhooksFailed: 0 });
    expect(received).toEqual([]);
    expect(await listWebhookDeliveries(db.pool, orderId)).toMatchObject([
      { status: 'pending', attempts: [] },
    ]);
    // Enabled again: what waited is sent (signed with the secret it has now).
    await setWebhookEndpoint(db.pool, { tenantId, url, enabled: true });
    expect(await run.runWebhooks()).toEqual({ webhooksDelivered: 1, webhooksFailed: 0 });
    expect(received).toHaveLength(1);
  });
});

describe('a receiver that never answers', () => {
  it('holds up its own deliveries only, and no more of them than fit in their lease', async () => {
    // Two tenants' hosts on loopback: one that takes the request and never answers, one that answers at once.
    const tarpit = createServer(() => undefined);
    await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
    try {
      const slowPort = (tarpit.address() as AddressInfo).port;
      const sender = createSafeWebhookSender({
        resolver: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
        addressPolicy: (a) => (a === '127.0.0.1' ? 'allow' : defaultAddressPolicy(a)),
        allowPlainHttp: true,
      });
      // Three attempts of 800 ms fit in the lease: two are claimed per tenant and pass.
      const run = lifecycle(sender, { webhook: { timeoutMs: 800, leaseMs: 2_400 } });
      const slowUrl = `http://slow.platform.test:${slowPort}/hooks`;
      // Five orders' messages of the slow tenant's are due before the other tenant's one.
      const slowOrders = [await orderWithWebhook(slowUrl)];
      for (let i = 0; i < 4; i++) slowOrders.push(await orderFor(await targetOf(slowOrders[0]!)));
      const fast = await orderWithWebhook(`http://fast.platform.test:${port}/hooks`);
      const startedAt = performance.now();
      let fastAfterMs: number | null = null;
      server.once('request', () => {
        fastAfterMs = performance.now() - startedAt;
      });
      expect(await run.runWebhooks()).toEqual({ webhooksDelivered: 1, webhooksFailed: 2 });
      // The other tenant's receiver had its delivery without waiting for the first slow attempt to time out.
      expect(fastAfterMs).not.toBeNull();
      expect(fastAfterMs).toBeLessThan(800);
      expect(await attemptsOf(fast)).toEqual([{ status: 'delivered', statusCode: 204, error: null }]);
      const timedOut = {
        status: 'pending',
        statusCode: null,
        error: expect.stringMatching(/^timeout: /) as string,
      };
      const slowAttempts = await Promise.all(slowOrders.map((id) => attemptsOf(id)));
      expect(slowAttempts.flat()).toEqual([timedOut, timedOut]);
      expect(slowAttempts.filter((a) => a.length === 0)).toHaveLength(3);
    } finally {
      tarpit.closeAllConnections();
      await new Promise((resolve) => tarpit.close(resolve));
    }
  });
});

describe('a missed deadline', () => {
  it('is escalated to every authority answerable for the order: the issuer, or the one that confirmed it', async () => {
    const url = `http://127.0.0.1:${port}/hooks`;
    const target = await tenantWithWebhook('platform', url);
    const [issuer, confirmer] = [
      await tenantWithWebhook('authority', url),
      await tenantWithWebhook('authority', url),
    ];
    // Orders whose deadline passed a minute ago (by the lifecycle's clock): one issued by hand, one automatic.
    const missed = async (issuerTenantId: string | null) =>
      (
        await openOrder(db.pool, {
          kind: 'takedown',
          subjectType: 'content-hash',
          subjectValue: randomBytes(32).toString('hex'),
          targetTenantId: target,
          legalBasis: 'test',
          issuer:
            issuerTenantId === null
              ? { kind: 'policy', id: 'test' }
              : { kind: 'authority', id: issuerTenantId },
          deadlineAt: new Date(clock.now().getTime() - 60_000),
          evidence: {},
          policyVersion: 't',
          submissionId: null,
          actor: 'test',
          issuerTenantId,
        })
      ).id;
    const byHand = await missed(issuer);
    const automatic = await missed(null);
    const confirmation = await commandOrder(db.pool, {
      id: automatic,
      scope: { all: true },
      command: { type: 'confirm' },
      now: clock.now(),
      actor: 'officer',
      actorTenantId: confirmer,
    });
    expect(confirmation.ok).toBe(true);
    await lifecycle().runClock();
    const told = async (orderId: string, tenantId: string) =>
      (await listWebhookDeliveries(db.pool, orderId, tenantId)).map((d) => d.event);
    expect(await told(byHand, issuer)).toEqual(['escalated']);
    expect(await told(automatic, confirmer)).toEqual(['escalated']);
    expect(await told(byHand, confirmer)).toEqual([]);
    expect(await told(automatic, issuer)).toEqual([]);
    // The notice says why as a code, as the order event and the history do.
    const { rows } = await db.pool.query<{ payload: { event: string; escalationReason?: string } }>(
      'select payload from webhook_deliveries where order_id = any($1)',
      [[byHand, automatic]],
    );
    expect(rows.map((r) => [r.payload.event, r.payload.escalationReason])).toEqual([
      ['order.escalated', 'deadline-missed'],
      ['order.escalated', 'deadline-missed'],
    ]);
  });
});

describe("one order's messages to one endpoint", () => {
  /** A receiver on loopback noting each message's event and the status it answered: `answers` in turn, then 204. */
  async function eventReceiver(answers: number[] = []) {
    const got: string[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = answers.shift() ?? 204;
        got.push(`${(JSON.parse(Buffer.concat(chunks).toString()) as { event: string }).event} ${status}`);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    return { url, got, close: () => new Promise((resolve) => receiver.close(resolve)) };
  }
  // Retries a minute after a failure.
  const retryingInAMinute = { webhook: { backoff: { baseMs: 60_000, maxMs: 60_000, random: () => 0 } } };

  it('arrive in the order they were queued: nothing after a message to be retried goes before it', async () => {
    const receiver = await eventReceiver([503]);
    try {
      const run = lifecycle(loopbackSender(), retryingInAMinute);
      // Issued, then withdrawn at once: both due in one pass, and the receiver is down for the first.
      const orderId = await orderWithWebhook(receiver.url);
      await queue(orderId, 'order.withdrawn');
      await run.runWebhooks();
      expect(receiver.got).toEqual(['order.issued 503']);
      // The withdrawal is due, but waits for the issue message's retry, untried.
      await run.runWebhooks();
      expect(receiver.got).toEqual(['order.issued 503']);
      expect(
        (await listWebhookDeliveries(db.pool, orderId)).map((d) => [d.event, d.attempts.length]),
      ).toEqual([
        ['order.issued', 1],
        ['order.withdrawn', 0],
      ]);
      // Once the retry is due, both go in one pass, in queue order. Never "withdrawn" and then "issued": a
      // receiver acting on the last message it got would take the content down.
      clock.advance(61_000);
      await run.runWebhooks();
      expect(receiver.got).toEqual(['order.issued 503', 'order.issued 204', 'order.withdrawn 204']);
    } finally {
      await receiver.close();
    }
  });

  it('go in queue order when queued at one clock reading, and a message failed for good lets the next go', async () => {
    const receiver = await eventReceiver([500]);
    try {
      const run = lifecycle(loopbackSender(), { webhook: { maxAttempts: 1 } });
      const orderId = await orderWithWebhook(receiver.url);
      // Six more with one created_at: nothing but the queue itself says which came first.
      const events = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
      for (const event of events) await queue(orderId, event, clock.now());
      // A pass sends a tenant what fits in the lease (five by default): two passes.
      for (let pass = 0; pass < 2; pass++) await run.runWebhooks();
      expect(receiver.got).toEqual(['order.issued 500', ...events.map((e) => `${e} 204`)]);
    } finally {
      await receiver.close();
    }
  });

  it('are never split between two workers: a later one is not claimed while an earlier one is out', async () => {
    const orderId = await orderWithWebhook(`http://127.0.0.1:${port}/hooks`);
    await queue(orderId, 'order.withdrawn');
    // One of a tenant's messages a claim (as when a claim is cut short by its limit).
    const claim = async (perTenant: number) =>
      (await claimDueWebhooks(db.pool, { now: clock.now(), leaseMs: 60_000, limit: 1_000, perTenant }))
        .filter((d) => d.orderId === orderId)
        .map((d) => d.event);
    expect(await claim(1)).toEqual(['order.issued']);
    expect(await claim(1)).toEqual([]);
    // The lease is over (the first worker died): the next claim takes both, in queue order.
    clock.advance(61_000);
    expect(await claim(2)).toEqual(['order.issued', 'order.withdrawn']);
  });
});
