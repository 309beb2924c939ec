import { kafkaSpec, loadConfig } from '@mod/config';
import {
  DefaultPartnerQuotas,
  isModError,
  partnerAcls,
  partnerGroupPrefix,
  partnerSuspension,
  partnerTopicSpecOf,
  partnerTopicSpecs,
  serviceAcls,
  topicSpecs,
  TENANT_ID_PATTERN,
  type AclBinding,
  type PartnerKind,
  type PartnerQuotas,
} from '@mod/contracts';
import { getTenant } from '@mod/db/access';
import {
  aclResourcesOf,
  applyAcls,
  createKafka,
  credentialsFromConfig,
  ensureTopics,
  listTopics,
  reconcileTopics,
  removeAcls,
  removeUserQuotas,
  setUserQuotas,
  topicWriters,
  userQuotasOf,
  type Kafka,
} from '@mod/kafka';
import { createLogger } from '@mod/telemetry';
import { positiveInt, stringOptions, subcommandCommand, type Command, type CommandIo } from '../command.js';
import { CliErrorCode } from '../errors.js';
import { operator, withPool } from './curator.js';
import { inboundOf, onRecordThenBroker, reconcilePartnerStanding } from './kafka-standing.js';
import { runStandingWatch } from './kafka-standing-watch.js';

const USAGE = [
  'usage: modctl kafka setup [--partitions N] [--replication-factor N] [--max-message-bytes N]',
  '       modctl kafka partner grant --tenant ID --principal USER [--produce-bytes-per-second N]',
  '                                  [--fetch-bytes-per-second N] [--request-percentage N]',
  '       modctl kafka partner revoke --tenant ID --principal USER',
  '       modctl kafka standing      (suspends the partner principals of disabled tenants; lifts it when enabled)',
  '       modctl kafka standing --watch [--poll-ms N] [--full-every-s N] [--ops-port N]',
  "       modctl kafka acls          (prints the services' ACLs as JSON lines; changes nothing)",
  'setup creates the internal topics (replication: the cluster default unless --replication-factor; partitions 3',
  'unless --partitions) and gives each service principal (mod-api, mod-scanner, mod-fetcher,',
  'mod-actioner) its least-privilege ACLs. partner grant creates the topics of an ISP or platform tenant and lets',
  'the SCRAM user USER write its inbound topic and read its outbound ones (deploy/local/kafka.sh principal USER',
  "creates the user). Partners' inbound topics take the broker's time (message.timestamp.type=LogAppendTime)",
  'and keep a bounded number of bytes (retention.bytes); media and observed-URL topics roll their segments',
  'after a sixth of their retention (segment.ms), so nothing stays past 7/6 of it; both set these on existing',
  'topics that lack them (setup: on every partner topic); setup also gives a partner principal without quotas of its',
  "own its kind's defaults (one granted before grant set them). Both are idempotent. grant refuses a USER that holds",
  "other ACLs (another tenant's, a service's: MOD_ERR_CLI_PRINCIPAL_TAKEN): each partner its own principal.",
  "standing compares each partner tenant's standing in the database with its principal's access: a disabled (or",
  "unknown) tenant's principal gets DENY bindings, so the broker refuses its produce and fetches; an enabled one's",
  'DENY bindings are removed, which restores its grant. Audited; idempotent; run it after disabling or enabling a',
  'tenant, and periodically (setup never lifts a suspension: a disabled tenant cannot regain access through it).',
  "standing --watch runs until SIGTERM: it reads the tenants every --poll-ms (1000) and applies a tenant's standing",
  'as soon as it changes (disabled, enabled), every partner every --full-every-s (60); a failed pass is logged and',
  'retried with a doubling wait (at most 30 s). --ops-port: /metrics (mod_kafka_standing_*) and /health/* on OPS_HOST',
  '(127.0.0.1). Run one watcher per cluster, in place of the scheduled standing.',
  'environment: KAFKA_BROKERS, KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD of an admin principal, KAFKA_TLS,',
  '             KAFKA_TLS_CA_PATH, TOPIC_PREFIX; for partner and standing: DATABASE_URL, DATABASE_SCHEMA,',
  '             MODCTL_ACTOR',
  'exit codes: 0 done; 1 failed; 2 usage',
].join('\n');

/** The admin principal's connection and the topic prefix, from the environment. */
export function kafkaFromEnv(): { kafka: Kafka; prefix: string } {
  const config = loadConfig(kafkaSpec, process.env);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-modctl`,
    logger: createLogger('modctl', 'warn'),
    credentials: credentialsFromConfig(config),
  });
  return { kafka, prefix: config.TOPIC_PREFIX };
}

/** `modctl kafka ...`: the operator's broker set-up (topics and ACLs) and partners' access. */
export const kafkaCommand: Command = subcommandCommand({
  name: 'kafka',
  summary: "broker set-up: topics and service ACLs; partners' topics and ACLs",
  usage: USAGE,
  options: {
    watch: { type: 'boolean' },
    ...stringOptions(
      'partitions',
      'replication-factor',
      'max-message-bytes',
      'tenant',
      'principal',
      'produce-bytes-per-second',
      'fetch-bytes-per-second',
      'request-percentage',
      'poll-ms',
      'full-every-s',
      'ops-port',
    ),
  },
  // `partner grant|revoke`: the action is the word after the sub-command.
  argsOf: (sub, rest) => (sub === 'partner' ? rest.slice(1) : [...rest]),
  handlers: {
    acls: async ({ io }) => {
      for (const binding of serviceAcls({ prefix: process.env['TOPIC_PREFIX'] ?? '' }))
        io.stdout(JSON.stringify(binding));
      return 0;
    },
    setup: async ({ values: v, usage, print }) => {
      const partitions = positiveInt(v.partitions, 3);
      // -1: the cluster's default.replication.factor.
      const replicationFactor = positiveInt(v['replication-factor'], -1);
      const maxMessageBytes = positiveInt(v['max-message-bytes'], 16 * 1024 * 1024);
      if (partitions === null || replicationFactor === null || maxMessageBytes === null)
        return usage('--partitions, --replication-factor and --max-message-bytes take positive integers');
      const { kafka, prefix } = kafkaFromEnv();
      const specs = topicSpecs(prefix).map((s) => (s.partitions > 1 ? { ...s, partitions } : s));
      const { created, updated } = await ensureTopics(kafka, specs, { replicationFactor, maxMessageBytes });
      // Partners' topics made before their spec set the broker's timestamps (LogAppendTime) or the size bound get
      // them here, at every install and upgrade; only existing ones: a partner's topics are created by `partner grant`.
      const partnerSpecs = (await listTopics(kafka, () => true)).flatMap(
        (t) => partnerTopicSpecOf(prefix, t) ?? [],
      );
      const partnerUpdated = await reconcileTopics(kafka, partnerSpecs);
      const bounded = await boundPartnerPrincipals(
        kafka,
        prefix,
        partnerSpecs.map((s) => s.name),
      );
      const acls = serviceAcls({ prefix });
      await applyAcls(kafka, acls);
      return print({
        topics: specs.map((s) => s.name),
        created,
        updated: [...updated, ...partnerUpdated],
        acls: acls.length,
        quotas: bounded,
      });
    },
    standing: async ({ values: v, print, usage }) => {
      if (v.watch === true) return watchStanding(v, usage);
      const { kafka, prefix } = kafkaFromEnv();
      const changes = await withPool((pool) =>
        reconcilePartnerStanding(kafka, pool, prefix, operator('admin')),
      );
      return print({ changes });
    },
    partner: async ({ args, values: v, io, usage }) => {
      const action = args[0];
      if ((action !== 'grant' && action !== 'revoke') || !v.tenant || !v.principal) return usage();
      if (!TENANT_ID_PATTERN.test(v.tenant) || !/^[A-Za-z0-9._-]{1,200}$/.test(v.principal))
        return usage('--tenant must be a tenant id and --principal a SCRAM user name');
      const given = {
        produceBytesPerSecond: positiveInt(v['produce-bytes-per-second'], 0),
        fetchBytesPerSecond: positiveInt(v['fetch-bytes-per-second'], 0),
        requestPercentage: positiveInt(v['request-percentage'], 0),
      };
      if (Object.values(given).some((n) => n === null) || (given.requestPercentage ?? 0) > 10_000)
        return usage('the quotas are positive integers (--request-percentage at most 10000)');
      return await partner(action, v.tenant, v.principal, io, given as Record<keyof PartnerQuotas, number>);
    },
  },
  failed: (io, err) => {
    const code = isModError(err) ? err.code : CliErrorCode.Kafka;
    io.stderr(JSON.stringify({ error: { code, message: (err as Error).message } }));
    return 1;
  },
});

/** `standing --watch`: its options checked, then the watcher until SIGTERM. */
async function watchStanding(
  v: { 'poll-ms'?: string | undefined; 'full-every-s'?: string | undefined; 'ops-port'?: string | undefined },
  usage: (reason?: string) => number,
): Promise<number> {
  const pollMs = positiveInt(v['poll-ms'], 1_000);
  const fullEveryS = positiveInt(v['full-every-s'], 60);
  const opsPort = v['ops-port'] === undefined ? undefined : positiveInt(v['ops-port'], 0);
  if (pollMs === null || fullEveryS === null || opsPort === null || (opsPort ?? 0) > 65_535)
    return usage('--poll-ms and --full-every-s take positive integers, --ops-port a port');
  const { kafka, prefix } = kafkaFromEnv();
  return runStandingWatch({
    kafka,
    prefix,
    pollMs,
    fullEveryMs: fullEveryS * 1_000,
    opsHost: process.env['OPS_HOST'] ?? '127.0.0.1',
    opsPort: opsPort ?? null,
  });
}

/**
 * The principals allowed to write partners' inbound topics that lack a quota of their own (granted before `partner
 * grant` set quotas, or whose quotas were removed by hand) get their kind's default for it, at every install and
 * upgrade: unbounded, one partner's producing or fetching took the brokers from every tenant. Quotas an operator set
 * stay as they are. Returns the users given one.
 */
async function boundPartnerPrincipals(
  kafka: Kafka,
  prefix: string,
  topics: readonly string[],
): Promise<string[]> {
  const bounded: string[] = [];
  for (const topic of topics) {
    const kind = inboundOf(prefix, topic)?.kind;
    if (kind === undefined) continue;
    for (const user of await topicWriters(kafka, topic)) {
      const own = await userQuotasOf(kafka, user);
      const quotas = { ...DefaultPartnerQuotas[kind], ...own };
      if (Object.keys(own).length === Object.keys(quotas).length || bounded.includes(user)) continue;
      await setUserQuotas(kafka, user, quotas);
      bounded.push(user);
    }
  }
  return bounded;
}

/**
 * The resources `principal` holds ACLs on besides `own` (a tenant's partner access): another tenant's topics, a
 * service's. A partner's events belong to the tenant whose topic they arrive on, so a principal granted two
 * tenants (a copy-paste of the wrong name) would write for both and read both one's orders, and a service's
 * principal granted a partner's access would speak as that partner.
 */
async function otherAccessOf(kafka: Kafka, principal: string, own: readonly AclBinding[]): Promise<string[]> {
  const held = await aclResourcesOf(kafka, `User:${principal}`);
  return held
    .filter(
      (r) =>
        !own.some(
          (b) => b.resourceType === r.resourceType && b.patternType === r.patternType && b.name === r.name,
        ),
    )
    .map((r) => `${r.resourceType} ${r.name}`);
}

/** What the log calls a partner's access change, and the broker's refusal of it. */
const PARTNER_AUDIT_ACTIONS = {
  grant: { done: 'kafka.partner.granted', failed: 'kafka.partner.grant_failed' },
  revoke: { done: 'kafka.partner.revoked', failed: 'kafka.partner.revoke_failed' },
} as const;

async function partner(
  action: 'grant' | 'revoke',
  tenantId: string,
  principal: string,
  io: CommandIo,
  /** The quotas given (0: the default of the tenant's kind). */
  given: PartnerQuotas,
): Promise<number> {
  return withPool(async (pool) => {
    const tenant = await getTenant(pool, tenantId);
    const refusal =
      tenant === null || (tenant.kind !== 'isp' && tenant.kind !== 'platform')
        ? {
            code: CliErrorCode.TenantNotPartner,
            message: `${tenantId} is not an existing ISP or platform tenant`,
          }
        : action === 'grant' && tenant.disabledAt !== null
          ? { code: CliErrorCode.TenantDisabled, message: `${tenantId} is disabled` }
          : null;
    if (refusal !== null || tenant === null) {
      io.stderr(JSON.stringify({ error: refusal }));
      return 1;
    }
    const kind = tenant.kind as PartnerKind;
    const { kafka, prefix } = kafkaFromEnv();
    const acls = partnerAcls({ prefix, kind, tenantId, principal });
    // A suspension (`kafka standing`) ends with the grant it suspended, and never outlives a new one.
    const suspension = partnerSuspension({ prefix, kind, tenantId, principal });
    const topics = partnerTopicSpecs(prefix, kind, tenantId);
    const defaults = DefaultPartnerQuotas[kind];
    const quotas: PartnerQuotas = {
      produceBytesPerSecond: given.produceBytesPerSecond || defaults.produceBytesPerSecond,
      fetchBytesPerSecond: given.fetchBytesPerSecond || defaults.fetchBytesPerSecond,
      requestPercentage: given.requestPercentage || defaults.requestPercentage,
    };
    if (action === 'grant') {
      const other = await otherAccessOf(kafka, principal, acls);
      if (other.length > 0) {
        io.stderr(
          JSON.stringify({
            error: {
              code: CliErrorCode.PrincipalTaken,
              message: `${principal} already holds other access (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', ...' : ''}): a partner's principal is its own, and acts for its tenant only`,
            },
          }),
        );
        return 1;
      }
    }
    const bounds = `quotas: ${quotas.produceBytesPerSecond} B/s produced, ${quotas.fetchBytesPerSecond} B/s fetched, ${quotas.requestPercentage}% of a broker thread`;
    await onRecordThenBroker(
      pool,
      operator('admin'),
      {
        tenantId,
        actions: PARTNER_AUDIT_ACTIONS[action],
        reason: `${action} Kafka access of ${kind} ${tenantId} to principal ${principal}${action === 'grant' ? `; ${bounds}` : ''}`,
        refusal: `the broker refused to ${action} Kafka access to principal ${principal}`,
        evidence: { principal, topics: topics.map((t) => t.name), ...(action === 'grant' ? quotas : {}) },
      },
      async () => {
        if (action === 'grant') {
          // Bounded before it can write: the quotas come first.
          await setUserQuotas(kafka, principal, quotas);
          await ensureTopics(kafka, topics);
          await applyAcls(kafka, acls);
          await removeAcls(kafka, suspension);
        } else {
          await removeAcls(kafka, [...acls, ...suspension]);
          await removeUserQuotas(kafka, principal);
        }
      },
    );
    io.stdout(
      JSON.stringify({
        tenant: tenantId,
        kind,
        principal,
        action,
        topics: topics.map((t) => t.name),
        groupPrefix: partnerGroupPrefix(prefix, tenantId),
        ...(action === 'grant' ? { quotas } : {}),
      }),
    );
    return 0;
  });
}
