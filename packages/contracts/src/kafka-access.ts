import {
  PartnerTopics,
  PartnerTopicsByKind,
  Topics,
  partnerTopic,
  type PartnerKind,
  type PartnerTopicBase,
} from './topics.js';

/**
 * Who may do what on the broker: the least-privilege ACLs of every service principal and of partner principals,
 * as plain data (applied by `@mod/kafka` `applyAcls`, asserted by tests against a real broker). Nothing here is
 * allowed by default: the broker runs `StandardAuthorizer` with `allow.everyone.if.no.acl.found=false`, so a
 * principal without a binding can do nothing, and an unauthenticated client cannot connect at all.
 */
export type AclOperation = 'read' | 'write' | 'create' | 'describe' | 'describe-configs' | 'delete';

export interface AclBinding {
  resourceType: 'topic' | 'group';
  /** `prefixed` matches every name that starts with `name`. */
  patternType: 'literal' | 'prefixed';
  name: string;
  /** `User:<name>` of a SCRAM user. */
  principal: string;
  operation: AclOperation;
  /**
   * Default `allow`. A `deny` binding overrides every allow of the same principal, resource and operation: a
   * disabled tenant's partner principal is suspended by denying what its grant allows (`partnerSuspension`).
   */
  permission?: 'allow' | 'deny';
}

/** The services that talk to Kafka, each under its own principal. */
export const ServiceRoles = ['api', 'scanner', 'classifier', 'fetcher', 'actioner'] as const;
export type ServiceRole = (typeof ServiceRoles)[number];

/** Default SCRAM user of each service (`KAFKA_SASL_USERNAME`). */
export const DefaultServicePrincipals: Readonly<Record<ServiceRole, string>> = {
  api: 'mod-api',
  scanner: 'mod-scanner',
  classifier: 'mod-classifier',
  fetcher: 'mod-fetcher',
  actioner: 'mod-actioner',
};

/** Default consumer-group id of each consuming service; the service's groups all start with it. */
export const DefaultServiceGroups = {
  /** The API consumes nothing; it reads the tree-heads topic's last heads at start-up under this prefix. */
  api: 'mod-api',
  scanner: 'mod-scanner',
  classifier: 'mod-classifier',
  fetcher: 'mod-fetcher',
  actioner: 'mod-actioner',
} as const;

export interface ServiceAclOptions {
  /** Topic prefix of the deployment ('' in production; tests use their own). */
  prefix?: string;
  /** SCRAM user names (default `DefaultServicePrincipals`). */
  principals?: Partial<Record<ServiceRole, string>>;
  /** Consumer-group prefixes (default `DefaultServiceGroups`). */
  groups?: Partial<Record<keyof typeof DefaultServiceGroups, string>>;
}

const user = (name: string) => `User:${name}`;

/**
 * Every ACL the services need, and nothing more:
 * - api: writes intake (media, observed URLs), curation (bank and URL-list changes) and signed tree heads;
 *   reads the media topic's configuration (its largest message sets the largest upload) and the last signed
 *   tree heads (the signer starts from them);
 * - scanner: reads media (its own topic and every platform's), bank changes; writes verdicts and dead letters;
 * - classifier: reads media (as the scanner, in its own group, so no byte is copied to reach it); writes
 *   classifications and dead letters;
 * - fetcher: reads observed URLs (its own and every ISP's), URL-list changes; writes verdicts, media, dead
 *   letters;
 * - actioner: reads verdicts and classifications; writes (and creates) the partners' outbound topics and dead letters.
 * Only the scanner and the fetcher write verdicts, only the classifier classifications, only the actioner writes requests, only curation (the API)
 * writes bank and URL-list changes.
 */
export function serviceAcls(options: ServiceAclOptions = {}): AclBinding[] {
  const prefix = options.prefix ?? '';
  const p = { ...DefaultServicePrincipals, ...options.principals };
  const g = { ...DefaultServiceGroups, ...options.groups };
  const t = (name: string) => prefix + name;
  const bindings: AclBinding[] = [];
  const topic = (
    role: ServiceRole,
    name: string,
    ops: AclOperation[],
    patternType: AclBinding['patternType'],
  ) => {
    for (const operation of ops)
      bindings.push({ resourceType: 'topic', patternType, name, principal: user(p[role]), operation });
  };
  const group = (role: keyof typeof g) => {
    for (const operation of ['read', 'delete'] as const)
      bindings.push({
        resourceType: 'group',
        patternType: 'prefixed',
        name: g[role],
        principal: user(p[role]),
        operation,
      });
  };

  topic('api', t(Topics.mediaSubmitted), ['write', 'describe-configs'], 'literal');
  for (const name of [Topics.urlObserved, Topics.bankChanges, Topics.urlListChanges, Topics.auditTreeHeads])
    topic('api', t(name), ['write'], 'literal');
  topic('api', t(Topics.auditTreeHeads), ['read'], 'literal');
  group('api');

  // Prefixed: the scanner's own media topic and every platform's `mod.media-submitted.v2.<tenant>`.
  topic('scanner', t(PartnerTopics.mediaSubmitted), ['read'], 'prefixed');
  topic('scanner', t(Topics.bankChanges), ['read'], 'literal');
  topic('scanner', t(Topics.verdicts), ['write'], 'literal');
  topic('scanner', t(Topics.deadLetters), ['write'], 'literal');
  group('scanner');

  topic('classifier', t(PartnerTopics.mediaSubmitted), ['read'], 'prefixed');
  topic('classifier', t(Topics.classifications), ['write'], 'literal');
  topic('classifier', t(Topics.deadLetters), ['write'], 'literal');
  group('classifier');

  topic('fetcher', t(PartnerTopics.urlObserved), ['read'], 'prefixed');
  topic('fetcher', t(Topics.urlListChanges), ['read'], 'literal');
  topic('fetcher', t(Topics.verdicts), ['write'], 'literal');
  topic('fetcher', t(Topics.mediaSubmitted), ['write', 'describe-configs'], 'literal');
  topic('fetcher', t(Topics.deadLetters), ['write'], 'literal');
  group('fetcher');

  topic('actioner', t(Topics.verdicts), ['read'], 'literal');
  topic('actioner', t(Topics.classifications), ['read'], 'literal');
  topic('actioner', t(Topics.deadLetters), ['write'], 'literal');
  for (const base of ['blockingRequests', 'takedownRequests', 'orderEvents'] as const)
    topic('actioner', `${t(PartnerTopics[base])}.`, ['write', 'create'], 'prefixed');
  group('actioner');
  return bindings;
}

/** Consumer groups of a partner start with this (e.g. `partner.acme-isp.blocking`). */
export function partnerGroupPrefix(prefix: string, tenantId: string): string {
  return `${prefix}partner.${tenantId}.`;
}

/**
 * A partner's ACLs: write its one inbound topic, read its outbound topics, use its own consumer groups. Literal
 * topic names, so no partner can reach another's topics by a name that shares a prefix.
 */
export function partnerAcls(options: {
  prefix?: string;
  kind: PartnerKind;
  tenantId: string;
  /** SCRAM user name of the partner. */
  principal: string;
}): AclBinding[] {
  const prefix = options.prefix ?? '';
  const { inbound, outbound } = PartnerTopicsByKind[options.kind];
  const principal = user(options.principal);
  const topic = (base: PartnerTopicBase, operation: AclOperation): AclBinding => ({
    resourceType: 'topic',
    patternType: 'literal',
    name: partnerTopic(prefix, base, options.tenantId),
    principal,
    operation,
  });
  return [
    topic(inbound, 'write'),
    ...outbound.map((base) => topic(base, 'read')),
    {
      resourceType: 'group',
      patternType: 'prefixed',
      name: partnerGroupPrefix(prefix, options.tenantId),
      principal,
      operation: 'read',
    },
  ];
}

/**
 * A partner's suspension: DENY bindings mirroring each of its `partnerAcls`, so the broker refuses its produce to
 * its inbound topic, its fetch of its outbound topics and its groups, whatever its allows say. The allows stay: they
 * are the broker's record of which principal is the tenant's, so lifting the suspension (the tenant enabled again)
 * restores exactly the access that was granted, and nothing that re-applies allows (`modctl kafka setup`) can give a
 * disabled tenant its access back.
 */
export function partnerSuspension(options: Parameters<typeof partnerAcls>[0]): AclBinding[] {
  return partnerAcls(options).map((b) => ({ ...b, permission: 'deny' }));
}

/**
 * What a partner's principal may take of each broker: bytes per second it produces and fetches, and the share of
 * a broker thread's time its requests take (percent). The brokers are every tenant's: a partner that floods its
 * inbound topic, or fetches its outbound ones in a loop, is slowed down by the broker, and the others are not.
 */
export interface PartnerQuotas {
  produceBytesPerSecond: number;
  fetchBytesPerSecond: number;
  requestPercentage: number;
}

const MiB = 1024 * 1024;

/**
 * `modctl kafka partner grant`'s quotas unless given: an ISP sends observed URLs (a few hundred bytes each, so
 * 4 MiB/s is over ten thousand a second), a platform media (32 MiB/s is about a hundred full-size photos); both
 * read orders, which are small. A quarter of one broker thread each.
 */
export const DefaultPartnerQuotas: Readonly<Record<PartnerKind, PartnerQuotas>> = {
  isp: { produceBytesPerSecond: 4 * MiB, fetchBytesPerSecond: 8 * MiB, requestPercentage: 25 },
  platform: { produceBytesPerSecond: 32 * MiB, fetchBytesPerSecond: 8 * MiB, requestPercentage: 25 },
};
