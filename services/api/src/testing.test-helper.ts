import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { topicNames, topicSpecs } from '@mod/contracts';
import { createBank, createUrlList } from '@mod/curation';
import {
  createApiKey,
  registerClientCertificate,
  Roles,
  upsertTenant,
  type Role,
  type TenantKind,
} from '@mod/db/access';
import { appendAuditAlone, loadAuditKeys, signTreeHeadIfDue, type SigningKey } from '@mod/db/audit';
import { openOrder, setWebhookEndpoint, type OrderInput } from '@mod/db/orders';
import { insertSubmission } from '@mod/db/submissions';
import { createPgEvidenceStore } from '@mod/db/vault';
import {
  createKafka,
  createProducer,
  deleteTopics,
  ensureTopics,
  type Kafka,
  type Producer,
} from '@mod/kafka';
import { createTestSchema, credentialsFromEnvironment, testOrder, type TestDatabase } from '@mod/testing';
import { createLogger, createRegistry } from '@mod/telemetry';
import type { Resolver } from '@mod/urls/fetch';
import {
  createMasterKeyring,
  defaultRetentionPolicy,
  type EvidenceStore,
  type MasterKeyring,
} from '@mod/vault';
import { buildApp, type AppDeps } from './app.js';
import { seedMatrixCase, seedMatrixProposals } from './cases.test-helper.js';
import { TEST_PEOPLE_SETTINGS } from './people-testing.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import type { AccessFixtureContext, SampleRequest } from './authz-matrix.test-helper.js';

/**
 * For this package's tests: the API built against a fresh Postgres schema and a real Kafka broker on loopback,
 * with topics of its own (random prefix), dropped afterwards. Not exported from the package.
 */
export interface ApiTestWorld {
  db: TestDatabase;
  kafka: Kafka;
  producer: Producer;
  prefix: string;
  topics: ReturnType<typeof topicNames>;
  /** The audit signing key the apps are built with (and fixtures sign tree heads with). */
  auditKey: SigningKey;
  /** The evidence vault's master keys the apps are built with, and the vault on the world's schema. */
  vaultKeys: MasterKeyring;
  vault: EvidenceStore;
  build(overrides?: Partial<AppDeps>): Promise<FastifyInstance>;
  close(): Promise<void>;
}

const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

/**
 * DNS for webhook registration in these tests (no query leaves the machine): names under `example.org` answer
 * a public address (registration resolves, it never connects); every other name does not resolve.
 */
export const testWebhookResolver: Resolver = (name) =>
  name === 'example.org' || name.endsWith('.example.org')
    ? Promise.resolve([{ address: '93.184.215.14', family: 4 }])
    : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));

export async function createApiTestWorld(): Promise<ApiTestWorld> {
  const db = await createTestSchema();
  const logger = createLogger('api-test', process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const topics = topicNames(prefix);
  const kafka = createKafka({
    brokers: [KAFKA_BROKERS],
    clientId: 'api-test',
    logger,
    credentials: credentialsFromEnvironment(),
  });
  const specs = topicSpecs(prefix).filter(
    (s) => s.name === topics.mediaSubmitted || s.name === topics.urlObserved,
  );
  await ensureTopics(kafka, specs);
  const producer = await createProducer(kafka);
  const apps: FastifyInstance[] = [];
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const auditKey = loadAuditKeys({ signingKeyPem: pem }).signing!;
  const vaultKeys = createMasterKeyring({ current: randomBytes(32).toString('base64') });
  return {
    db,
    kafka,
    producer,
    prefix,
    topics,
    auditKey,
    vaultKeys,
    vault: createPgEvidenceStore(db.pool, { keyring: vaultKeys }),
    async build(overrides = {}) {
      const app = await buildApp({
        db: db.pool,
        producer,
        topicPrefix: prefix,
        logger,
        registry: createRegistry('api'),
        maxUploadBytes: 64 * 1024,
        // Tests issue hundreds of requests per key; the limiter has tests of its own.
        rateLimit: { ratePerSecond: 1e6, burst: 1e6 },
        authFailureLimit: { ratePerSecond: 1e6, burst: 1e6 },
        webhookTargets: { resolver: testWebhookResolver },
        auditSigningKey: auditKey,
        evidenceVault: { keyring: vaultKeys, retention: defaultRetentionPolicy },
        people: TEST_PEOPLE_SETTINGS,
        reports: TEST_REPORT_SETTINGS,
        ...overrides,
      });
      apps.push(app);
      return app;
    },
    async close() {
      for (const app of apps) await app.close();
      await producer.disconnect();
      await deleteTopics(
        kafka,
        specs.map((s) => s.name),
      ).catch(() => undefined);
      await db.drop();
    },
  };
}

/** multipart/form-data with one file field `media`. */
export function multipartBody(file: Buffer): { payload: Buffer; contentType: string } {
  const boundary = `----matrix${randomUUID()}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="media"; filename="x.png"\r\ncontent-type: image/png\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A request as the holder of `key`, with a JSON body when `payload` is given. */
export function callAs(
  app: FastifyInstance,
  key: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: bearer(key),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

/** Status and error code of an answer (no code: not an error answer). */
export const statusAndCode = (res: LightMyRequestResponse): [number, string | undefined] => [
  res.statusCode,
  res.json<{ error?: { code: string } }>().error?.code,
];

/** The error code of an answer (none: not an error answer). */
export const errorCodeOf = (res: LightMyRequestResponse): string | undefined => statusAndCode(res)[1];

/** The header that presents an API key. */
export const bearer = (key: string): { authorization: string } => ({ authorization: `Bearer ${key}` });

/** The callers of a test file: a name for each, and the tenant and role its key is made for. */
export type Callers<K extends string> = Readonly<Record<K, readonly [tenantId: string, role: Role]>>;

/**
 * An API key for each named caller (`[tenantId, role]`). `tenants` (id: kind) are made first, those without
 * callers too; a caller's tenant they do not name is made of the kind its role's fixtures have (`KIND_OF_ROLE`).
 * Answers the callers' keys.
 */
export async function seedCallers<K extends string>(
  world: ApiTestWorld,
  callers: Callers<K>,
  tenants: Readonly<Record<string, TenantKind>> = {},
): Promise<Record<K, string>> {
  const db = world.db.pool;
  const made = new Set<string>();
  const make = async (id: string, kind: TenantKind) => {
    if (made.has(id)) return;
    made.add(id);
    await upsertTenant(db, { id, kind, name: id, subscribedToBlocking: false });
  };
  for (const [id, kind] of Object.entries(tenants)) await make(id, kind);
  const named = Object.entries(callers) as [K, readonly [string, Role]][];
  for (const [, [tenantId, role]] of named) await make(tenantId, KIND_OF_ROLE[role]);
  const keys = {} as Record<K, string>;
  for (const [name, [tenantId, role]] of named) keys[name] = (await createApiKey(db, { tenantId, role })).key;
  return keys;
}

/**
 * Opens an order straight in the database, as the actioner does: `testOrder` (a policy's order on a fresh content
 * hash, due in a day, with no submission) as a takedown by default. Answers its id.
 */
export async function openTestOrder(
  world: ApiTestWorld,
  order: Pick<OrderInput, 'targetTenantId'> & Partial<OrderInput>,
): Promise<string> {
  const opened = await openOrder(world.db.pool, testOrder({ kind: 'takedown', ...order }));
  return opened.id;
}

/**
 * Sends a route's sample request as a caller: an API key, a person's session headers (people-testing.test-helper.ts),
 * or no one.
 */
export async function send(
  target: FastifyInstance,
  method: string,
  req: SampleRequest,
  key: string | { headers: Record<string, string> } | null,
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> =
    key === null ? {} : typeof key === 'string' ? bearer(key) : { ...key.headers };
  let payload: string | Buffer | undefined;
  if (req.media !== undefined) {
    const body = multipartBody(req.media);
    payload = body.payload;
    headers['content-type'] = body.contentType;
  } else if (req.payload !== undefined) {
    payload = typeof req.payload === 'string' ? req.payload : JSON.stringify(req.payload);
    headers['content-type'] = req.contentType ?? 'application/json';
  }
  return target.inject({
    method: method as 'GET',
    url: req.url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
}

/** The tenant kind each role's fixture tenants have. */
export const KIND_OF_ROLE: Record<Role, TenantKind> = {
  isp: 'isp',
  platform: 'platform',
  authority: 'authority',
  reviewer: 'hotline',
  curator: 'hotline',
  admin: 'admin',
  hotline: 'hotline',
};
export type Side = 'own' | 'other';

/**
 * For every role: a caller key of tenant `<role>-tenant-own`, and for both sides (`own`, `other` tenant of the
 * same kind) an order of it (addressed to it; for authorities, issued by it by hand to `platform-shared`), a
 * submission of it, an audit record about its order and a spare key (an authority also an order webhook, which
 * an admin set); shared: a bank, a URL list, an ISP and a platform tenant, a client certificate of the ISP, and a
 * signed audit tree head over every record.
 */
export async function seedAccessFixtures(world: ApiTestWorld): Promise<{
  callerKeys: Record<Role, string>;
  sides: Record<Role, Record<Side, AccessFixtureContext>>;
}> {
  const callerKeys = {} as Record<Role, string>;
  const sides = {} as Record<Role, Record<Side, AccessFixtureContext>>;
  const db = world.db.pool;
  await upsertTenant(db, { id: 'isp-shared', kind: 'isp', name: 'Shared ISP', subscribedToBlocking: false });
  await upsertTenant(db, {
    id: 'platform-shared',
    kind: 'platform',
    name: 'Shared platform',
    subscribedToBlocking: false,
  });
  const { bank } = await createBank(
    db,
    { name: 'matrix-bank', source: 'matrix', signalTypes: ['sha256'], actionPolicy: 'review' },
    world.topics.bankChanges,
  );
  const urlList = await createUrlList(
    db,
    { name: 'matrix-urls', source: 'matrix', actionPolicy: 'review' },
    world.topics.urlListChanges,
    { actor: { kind: 'service', id: 'matrix' }, role: null, tenantId: null },
  );
  const cert = await registerClientCertificate(db, {
    tenantId: 'isp-shared',
    fingerprintSha256: randomBytes(32).toString('hex'),
    role: 'isp',
  });
  const proposals = await seedMatrixProposals(db, world.vault, {
    tenantId: 'platform-shared',
    bankId: bank.id,
  });
  for (const role of Roles) {
    const kind = KIND_OF_ROLE[role];
    sides[role] = {} as Record<Side, AccessFixtureContext>;
    for (const side of ['own', 'other'] as const) {
      const tenantId = `${role}-tenant-${side}`;
      await upsertTenant(db, { id: tenantId, kind, name: tenantId, subscribedToBlocking: false });
      const submissionId = randomUUID();
      await insertSubmission(db, {
        id: submissionId,
        tenantId,
        source: 'api',
        sha256: 'a'.repeat(64),
        bytes: 1,
      });
      // An authority's order is one it issued; an unconfirmed automatic order would be every authority's.
      const byAuthority = role === 'authority';
      const orderId = await openTestOrder(world, {
        kind: role === 'isp' ? 'blocking' : 'takedown',
        targetTenantId: byAuthority ? 'platform-shared' : tenantId,
        issuer: byAuthority ? { kind: 'authority', id: tenantId } : { kind: 'policy', id: 'matrix' },
        issuerTenantId: byAuthority ? tenantId : null,
        submissionId,
        actor: 'matrix',
      });
      // Evidence of the side's submission, for the evidence routes.
      const { item: evidence } = await world.vault.keep({
        tenantId,
        submissionId,
        bytes: randomBytes(64),
        reason: 'classifier',
        by: { actor: { kind: 'service', id: 'matrix' }, role: null, tenantId: null },
        at: new Date(),
      });
      const spare = await createApiKey(db, { tenantId, role, label: 'spare' });
      // An authority's order webhook, which its officers read but only an admin sets.
      if (byAuthority)
        await setWebhookEndpoint(db, { tenantId, url: `https://hooks.example.org/${tenantId}` });
      // A record about the side's order (its evidence names the order too), for the scoped audit routes.
      const record = await appendAuditAlone(db, {
        actor: { kind: 'service', id: 'matrix' },
        action: 'fixtures.seeded',
        subject: { type: 'order', id: orderId },
        reason: 'matrix fixture',
        evidence: { order: { id: orderId } },
      });
      sides[role][side] = {
        tenantId,
        orderId,
        submissionId,
        keyId: spare.id,
        bankId: bank.id,
        urlListId: urlList.bank.id,
        ispTenantId: 'isp-shared',
        certificateId: cert?.id ?? '',
        auditSeq: record.seq,
        auditTreeSize: 0,
        evidenceId: evidence.id,
        caseId: await seedMatrixCase(db, world.vault, { role, tenantId }),
        // An authority's side: a report referred to it (the report its tenant reads).
        reportId: await seedMatrixReport(db, {
          tenantId,
          ...(kind === 'authority' ? { referredTo: tenantId } : {}),
        }),
        ...proposals,
      };
    }
    callerKeys[role] = (await createApiKey(db, { tenantId: `${role}-tenant-own`, role })).key;
  }
  // A signed tree head over every record, so the audit routes have something to prove.
  // The signer's lock is database-wide: another test's signer may hold it for a moment, so try again.
  let head = null;
  for (let attempt = 0; head === null && attempt < 100; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 50));
    head = await signTreeHeadIfDue(db, {
      key: world.auditKey,
      schedule: { everyRecords: 1, everyMs: 0 },
      topic: null,
      force: true,
    });
  }
  if (head === null) throw new Error('could not sign an audit tree head for the fixtures');
  for (const role of Roles)
    for (const side of ['own', 'other'] as const) sides[role][side].auditTreeSize = head.treeSize;
  return { callerKeys, sides };
}
