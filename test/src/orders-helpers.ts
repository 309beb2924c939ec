import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  actionerSpec,
  createActionerService,
  createFetchVerifier,
  createManualClock,
  createSafeWebhookSender,
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  verifyWebhook,
  WebhookReplayGuard,
  type ActionerOptions,
  type ActionerService,
  type ManualClock,
} from '@mod/actioner';
import { loadConfig } from '@mod/config';
import { Codecs, type Hit, type Verdict } from '@mod/contracts';
import { ensureBank, type Bank } from '@mod/db/banks';
import { setWebhookEndpoint } from '@mod/db/orders';
import { claimSubmission } from '@mod/db/submissions';
import { createProducer, type Producer } from '@mod/kafka';
import { createRegistry, type Registry } from '@mod/telemetry';
import { seedTenants } from '@mod/testing';
import { buildWorldApp, createWorld, logger, serviceEnv, type World } from './helpers.js';
import { loopbackAsPublic, loopbackResolver } from './test-network.js';

/** A request the webhook receiver saw, as sent (so a test can replay or alter it). */
export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  accepted: boolean;
  reason: string;
}

/**
 * A target's webhook endpoint on 127.0.0.1: verifies the HMAC signature over timestamp + body against the
 * shared secret, refuses stale timestamps (300 s window, by the test clock) and replays of a delivery id.
 * `failNext(n)` answers 503 to the next n valid requests (to exercise retries).
 */
export interface WebhookReceiver {
  url: string;
  secret: string;
  requests: ReceivedWebhook[];
  accepted(): { deliveryId: string; event: string; order: { id: string; status: string } }[];
  failNext(n: number): void;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

export async function startWebhookReceiver(clock: ManualClock): Promise<WebhookReceiver> {
  const secret = createHash('sha256').update(randomUUID()).digest('base64url');
  const replays = new WebhookReplayGuard();
  const requests: ReceivedWebhook[] = [];
  let failing = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      const deliveryId = headers[DELIVERY_HEADER] ?? '';
      const check = verifyWebhook({
        secret,
        header: headers[SIGNATURE_HEADER],
        body,
        nowS: Math.floor(clock.now().getTime() / 1000),
        toleranceS: 300,
        deliveryId,
        replays: failing > 0 ? new WebhookReplayGuard() : replays,
      });
      if (check.ok && failing > 0) {
        failing--;
        requests.push({ headers, body, accepted: false, reason: 'told to fail' });
        res.writeHead(503).end();
        return;
      }
      requests.push({ headers, body, accepted: check.ok, reason: check.ok ? 'ok' : check.reason });
      res.writeHead(check.ok ? 204 : 401).end();
    });
  });
  const url = `${await listen(server)}/hooks`;
  return {
    url,
    secret,
    requests,
    accepted: () =>
      requests
        .filter((r) => r.accepted)
        .map(
          (r) =>
            JSON.parse(r.body) as {
              deliveryId: string;
              event: string;
              order: { id: string; status: string };
            },
        ),
    failNext(n) {
      failing = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A platform's content on 127.0.0.1, whose answer per path the test sets (to verify takedowns). */
export interface ContentServer {
  base: string;
  host: string;
  serve(path: string, answer: { status: number; body: Buffer }): void;
  close(): Promise<void>;
}

export async function startContentServer(): Promise<ContentServer> {
  const answers = new Map<string, { status: number; body: Buffer }>();
  const server = createServer((req, res) => {
    const a = answers.get(req.url ?? '') ?? { status: 404, body: Buffer.from('not found') };
    res.writeHead(a.status, { 'content-type': 'application/octet-stream' }).end(a.body);
  });
  const base = await listen(server);
  return {
    base,
    host: '127.0.0.1',
    serve: (path, answer) => answers.set(path, answer),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The verifier the tests inject: fetches only from loopback (the production one is the SSRF-safe fetcher). */
export const loopbackVerifier = createFetchVerifier(async (url) => {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`test verifier refuses ${url}`);
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
});

export interface OrdersWorld {
  world: World;
  clock: ManualClock;
  app: FastifyInstance;
  actioner: ActionerService;
  registry: Registry;
  producer: Producer;
  receiver: WebhookReceiver;
  keys: Record<'isp-1' | 'isp-2' | 'platform-1' | 'platform-2' | 'authority-1', string>;
  /** Banks the verdicts of `publishVerdict` hit, by policy. */
  banks: Record<'automatic' | 'review' | 'negative', Bank>;
  /** Restarts the actioner (a crash and restart, as far as the database and Kafka can tell). */
  restartActioner(options?: ActionerOptions): Promise<void>;
  close(): Promise<void>;
}

/**
 * API (built on the test clock) and actioner (test clock, loopback verifier, scheduler driven by `tick()`, webhooks
 * through the SSRF-safe sender with 127.0.0.1 standing in for a public host, plain http allowed for the receiver)
 * against real Kafka and Postgres; tenants isp-1, isp-2 (subscribed to blocking), platform-1 (with a webhook
 * endpoint on the local receiver), platform-2, authority-1, each with an API key.
 */
export async function startOrdersWorld(
  env: Record<string, string> = {},
  options: ActionerOptions = {},
): Promise<OrdersWorld> {
  const world = createWorld();
  await world.ready;
  const clock = createManualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const config = loadConfig(
    actionerSpec,
    serviceEnv(world, 'actioner', { ORDER_SCHEDULER_INTERVAL_MS: '0', ...env }),
  );
  let registry = createRegistry('actioner');
  const make = (o: ActionerOptions) =>
    createActionerService(
      config,
      logger.child({ service: 'actioner' }),
      (registry = createRegistry('actioner')),
      {
        clock,
        verifier: loopbackVerifier,
        webhookSender: createSafeWebhookSender({
          resolver: loopbackResolver,
          addressPolicy: loopbackAsPublic,
          allowPlainHttp: true,
        }),
        random: () => 0.5,
        ...o,
      },
    );
  let actioner = make(options);
  await actioner.start();
  const producer = await createProducer(world.kafka);
  const app = await buildWorldApp(world, producer, {
    webhookTargets: { resolver: loopbackResolver, addressPolicy: loopbackAsPublic },
    now: () => clock.now(),
  });
  const db = world.db;
  const keys = (await seedTenants(db, [
    { id: 'isp-1', kind: 'isp', role: 'isp' },
    { id: 'isp-2', kind: 'isp', role: 'isp' },
    { id: 'platform-1', kind: 'platform', role: 'platform' },
    { id: 'platform-2', kind: 'platform', role: 'platform' },
    { id: 'authority-1', kind: 'authority', role: 'authority' },
  ])) as OrdersWorld['keys'];
  const banks = {
    automatic: await ensureBank(db, {
      name: 'e2e-automatic',
      source: 'e2e',
      signalTypes: ['sha256'],
      actionPolicy: 'automatic',
    }),
    review: await ensureBank(db, {
      name: 'e2e-review',
      source: 'e2e',
      signalTypes: ['sha256'],
      actionPolicy: 'review',
    }),
    negative: await ensureBank(db, {
      name: 'e2e-negative',
      source: 'e2e',
      signalTypes: ['sha256'],
      actionPolicy: 'review',
      negative: true,
    }),
  };
  const receiver = await startWebhookReceiver(clock);
  await setWebhookEndpoint(db, { tenantId: 'platform-1', url: receiver.url, secret: receiver.secret });
  await setWebhookEndpoint(db, { tenantId: 'authority-1', url: receiver.url, secret: receiver.secret });
  const ow: OrdersWorld = {
    world,
    clock,
    app,
    get actioner() {
      return actioner;
    },
    get registry() {
      return registry;
    },
    producer,
    receiver,
    keys,
    banks,
    async restartActioner(o = {}) {
      await actioner.stop();
      actioner = make(o);
      await actioner.start();
    },
    async close() {
      await app.close();
      await actioner.stop();
      await producer.disconnect();
      await receiver.close();
      await world.drop();
    },
  };
  return ow;
}

/**
 * One more tenant of the orders world (`role` as its kind), its API key, and its own webhook receiver on 127.0.0.1
 * set as its endpoint. The caller closes the receiver.
 */
export async function addTenantWithReceiver(
  ow: OrdersWorld,
  tenant: { id: string; role: 'authority' | 'isp' | 'platform' },
): Promise<{ key: string; receiver: WebhookReceiver }> {
  const receiver = await startWebhookReceiver(ow.clock);
  const keys = await seedTenants(ow.world.db, [{ id: tenant.id, kind: tenant.role, role: tenant.role }]);
  await setWebhookEndpoint(ow.world.db, { tenantId: tenant.id, url: receiver.url, secret: receiver.secret });
  return { key: keys[tenant.id] ?? '', receiver };
}

/** A hit in the world's automatic bank (`publishVerdict` makes it real: an entry holding the verdict's digest). */
export const automaticHit = (over: Partial<Hit> = {}): Hit => ({
  bankId: randomUUID(),
  bankName: 'known-abuse',
  entryId: '1',
  signal: 'sha256',
  distance: 0,
  category: 'A',
  actionPolicy: 'automatic',
  negative: false,
  ...over,
});

/**
 * Publishes a verdict to the verdicts topic as the scanner would, for a submission it recorded first (the
 * actioner believes only verdicts the database confirms). Each hit becomes a real one: an entry holding the
 * verdict's SHA-256 in the world's bank of the hit's policy (automatic, review, or negative).
 */
export async function publishVerdict(
  ow: OrdersWorld,
  v: { hits: Hit[]; url?: string; sha256?: string; tenantId?: string; source?: 'kafka' | 'fetcher' },
): Promise<Verdict> {
  const sha256 = v.sha256 ?? createHash('sha256').update(randomUUID()).digest('hex');
  const submissionId = randomUUID();
  const tenantId = v.tenantId ?? 'platform-2';
  await claimSubmission(ow.world.db, {
    id: submissionId,
    tenantId,
    source: v.source ?? 'kafka',
    url: v.url ?? null,
    sha256,
  });
  const hits: Hit[] = [];
  for (const hit of v.hits) {
    const bank = hit.negative
      ? ow.banks.negative
      : hit.actionPolicy === 'automatic'
        ? ow.banks.automatic
        : ow.banks.review;
    const { rows } = await ow.world.db.query<{ id: number }>(
      `insert into bank_entries (bank_id, signal, value, category) values ($1, 'sha256', $2, $3)
       on conflict (bank_id, signal, value) where removed_at is null do update set category = excluded.category
       returning id`,
      [bank.id, sha256, hit.category],
    );
    hits.push({
      ...hit,
      bankId: bank.id,
      bankName: bank.name,
      entryId: String(rows[0]?.id),
      signal: 'sha256',
      distance: 0,
    });
  }
  const verdict: Verdict = {
    eventId: randomUUID(),
    submissionId,
    tenantId,
    sourceEventId: randomUUID(),
    decision: hits.some((h) => h.negative) ? 'suppressed' : hits.length > 0 ? 'match' : 'no-match',
    hashes: { sha256, sha1: 'b'.repeat(40), md5: 'c'.repeat(32) },
    width: 320,
    height: 240,
    hits,
    ...(v.url === undefined ? {} : { url: v.url }),
    scannedAt: ow.clock.now().toISOString(),
    scannerVersion: 'e2e',
  };
  await ow.producer.send({
    topic: ow.world.topics.verdicts,
    messages: [{ key: verdict.submissionId, value: Codecs.verdict.encode(verdict) }],
  });
  return verdict;
}

/** Calls the API as a tenant on the test clock. */
export function call(
  ow: OrdersWorld,
  key: string,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  return ow.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${key}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

export const HOUR_MS = 3_600_000;
