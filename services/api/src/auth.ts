import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Pool } from '@mod/db';
import {
  apiKeyPrefix,
  verifyApiKey,
  verifyClientCertificate,
  type KeyCheck,
  type Principal,
  type Role,
} from '@mod/db/access';
import { appendAuditAlone } from '@mod/db/audit';
import { type OrderScope } from '@mod/db/orders';
import { Counter, type Registry } from '@mod/telemetry';
import { type SessionCheck } from '@mod/db/people';
import { clientAddressKey, isSessionTokenShaped } from '@mod/people';
import {
  isTenantBoundReviewer,
  orderScopeFor,
  scopeFor,
  type TenantRule,
  type TenantScope,
} from './authz.js';
import { forbidden, rateLimited, unauthenticated, type ApiError } from './errors.js';
import { peopleError } from './people-errors.js';
import {
  SESSION_COOKIE,
  checkSessionToken,
  forgetDeadSession,
  isBackgroundRequest,
  readCookie,
  sessionRefusal,
} from './session-auth.js';
import type { RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route; absent means the route is public (health, metrics, OpenAPI). */
    roles?: readonly Role[];
    /** How the tenant scope of the route's data is derived (see authz.ts). Default 'none'. */
    tenant?: TenantRule;
    /** With `tenant: 'own'` or `'order'`: roles that also see other tenants' objects. */
    crossTenant?: readonly Role[];
    /** Roles of `crossTenant` that see other tenants' objects as people only: their machines' keys see their own. */
    crossTenantPeopleOnly?: readonly Role[];
    /** The route reads citizens' reports: refused (403) to a reviewer of an authority tenant (authz.ts). */
    citizenReports?: boolean;
    /** Milliseconds the whole request may take before a 503; 0 disables (streamed bulk bodies). */
    timeoutMs?: number;
  }
}

export interface AuthOptions {
  db: Pool;
  now: () => Date;
  /** Requests per credential. */
  keyLimiter: RateLimiter;
  /**
   * Failed authentications, counted per client address (`req.ip`, an IPv6 one by its /64) and per failing
   * credential (the presented key's public prefix, or the client certificate). Past either limit a failure
   * answers 429 and is counted, not audited one by one. A credential that verifies is never refused because of
   * failures, its own address's included: the limit guards the audit log and the guessers' rate, it must not
   * lock tenants out.
   */
  failureLimiter: RateLimiter;
  /** Accept verified TLS client certificates (mTLS) mapped to a tenant, when no API key is presented. */
  clientCertificates: boolean;
  /** Where `mod_api_auth_failures_total{reason,outcome}` (outcome: audited, throttled) is registered. */
  registry: Registry;
  /** A person's session unused this long no longer authenticates (`PeopleSettings.idleTimeoutMs`). */
  sessionIdleTimeoutMs: number;
}

/** The bits of a TLS socket the certificate check reads (a plain TCP socket has none of them). */
export interface PeerSocket {
  authorized?: boolean;
  getPeerCertificate?: () => { fingerprint256?: string };
}

/**
 * The SHA-256 fingerprint of the client certificate, only when the TLS layer verified it against the configured
 * client CA (`authorized`); null on plain HTTP or for an unverified or absent certificate.
 */
export function verifiedClientFingerprint(socket: PeerSocket): string | null {
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate();
  return typeof cert.fingerprint256 === 'string' && cert.fingerprint256 !== '' ? cert.fingerprint256 : null;
}

/**
 * Authentication, role checks and per-credential rate limits in one place: every non-public route declares
 * `config.roles`; a request must carry `Authorization: Bearer <key>` (or a mapped, verified client certificate)
 * of an allowed role, or, for a person, the session cookie (session-auth.ts: the route's session stages, and the
 * CSRF token on state-changing requests). Routes with `config.sessionOnly` are for people only. Authentication
 * failures (below the failure limits) and denials are audited.
 */
export function registerAuth(app: FastifyInstance, o: AuthOptions): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('personSession', null);
  const failures = new Counter({
    name: 'mod_api_auth_failures_total',
    help: 'Failed authentications by reason; outcome throttled: past the failure limits, answered 429 and not audited',
    labelNames: ['reason', 'outcome'] as const,
    registers: [o.registry],
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const roles = req.routeOptions.config.roles;
    if (roles === undefined) return;
    const route = `${req.method} ${req.routeOptions.url ?? ''}`;
    const nowMs = o.now().getTime();

    const header = req.headers.authorization;
    const key = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const fingerprint =
      key === '' && o.clientCertificates
        ? verifiedClientFingerprint(req.raw.socket as Partial<TLSSocket>)
        : null;
    const cookie = key === '' && fingerprint === null ? readCookie(req.headers.cookie, SESSION_COOKIE) : null;
    // Every credential is looked up, whatever failed before it: refusing without a lookup would lock valid
    // keys out along with the guessers sharing their address (a NAT, a proxy) or their key prefix.
    let check: KeyCheck | SessionCheck | { ok: false; reason: 'missing' | 'malformed'; personId?: null };
    if (key !== '') check = await verifyApiKey(o.db, key, o.now());
    else if (fingerprint !== null) check = await verifyClientCertificate(o.db, fingerprint, o.now());
    else if (cookie !== null && cookie !== '')
      check = isSessionTokenShaped(cookie)
        ? await checkSessionToken(o.db, cookie, o.now(), o.sessionIdleTimeoutMs, isBackgroundRequest(req))
        : { ok: false, reason: 'malformed' };
    else check = { ok: false, reason: 'missing' };
    const credential =
      key !== ''
        ? 'api-key'
        : fingerprint !== null
          ? 'client-certificate'
          : cookie !== null
            ? 'session'
            : 'none';

    if (!check.ok) {
      const prefix = key === '' ? null : apiKeyPrefix(key);
      const identity =
        prefix !== null ? `key:${prefix}` : fingerprint !== null ? `cert:${fingerprint}` : null;
      // An IPv6 client by its /64 (one host commonly holds it whole): one address each guess is no other client.
      const byAddress = o.failureLimiter.take(`ip:${clientAddressKey(req.ip)}`, nowMs);
      const byIdentity = identity === null ? null : o.failureLimiter.take(identity, nowMs);
      const refused = [byAddress, byIdentity].filter((d) => d !== null && !d.allowed);
      if (credential === 'session') forgetDeadSession(reply);
      if (refused.length > 0) {
        // A flood: answered and counted, but no longer written to the audit log one by one.
        failures.inc({ reason: check.reason, outcome: 'throttled' });
        throw limited(reply, Math.max(...refused.map((d) => d!.retryAfterMs)));
      }
      failures.inc({ reason: check.reason, outcome: 'audited' });
      const personId = 'personId' in check ? (check.personId ?? null) : null;
      await audit(req, o.db, {
        actor:
          personId !== null
            ? { kind: 'person', id: personId }
            : { kind: 'user', id: key === '' ? (fingerprint ?? 'anonymous') : (prefix ?? 'anonymous') },
        action: 'auth.failed',
        route,
        reason: check.reason,
        credential,
      });
      throw credential === 'session'
        ? peopleError(req, 'MOD_ERR_API_UNAUTHENTICATED', 'session-invalid')
        : unauthenticated();
    }
    const p = check.principal;
    // Limit before the role check: denials are audited, and a key must not be able to flood the log.
    const decision = o.keyLimiter.take(p.keyId, nowMs);
    if (!decision.allowed) throw limited(reply, decision.retryAfterMs);
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    const deny = async (reason: string, error: ApiError) => {
      await audit(req, o.db, {
        actor: auditActorOf(p),
        action: 'auth.denied',
        route,
        reason,
        credential,
        principal: p,
      });
      return error;
    };
    if ('session' in check) {
      // A person: the route's stages and, for a state-changing request, the session's CSRF token.
      const refusal = sessionRefusal(req, check.session, cookie!);
      if (refusal !== null)
        throw await deny(refusal.code === 'MOD_ERR_API_CSRF' ? 'csrf' : 'session-stage', refusal);
      req.personSession = { session: check.session, token: cookie! };
    } else if (req.routeOptions.config.sessionOnly === true) {
      throw await deny('session-only', peopleError(req, 'MOD_ERR_API_SESSION_REQUIRED', 'session-required'));
    }
    if (!roles.includes(p.role)) throw await deny('role', forbidden());
    if (req.routeOptions.config.citizenReports === true && isTenantBoundReviewer(p))
      throw await deny(
        'citizen-reports',
        peopleError(req, 'MOD_ERR_API_FORBIDDEN', 'citizen-reports-oversight-only'),
      );
    req.principal = p;
  });
}

function limited(reply: FastifyReply, retryAfterMs: number) {
  const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
  reply.header('retry-after', String(retryAfterS));
  return rateLimited(retryAfterS);
}

async function audit(
  req: FastifyRequest,
  db: Pool,
  a: {
    actor: AuditActor;
    action: string;
    route: string;
    reason: string;
    credential: string;
    principal?: Principal;
  },
): Promise<void> {
  await appendAuditAlone(db, {
    actor: a.actor,
    role: a.principal?.role ?? null,
    tenantId: a.principal?.tenantId ?? null,
    action: a.action,
    subject: { type: 'route', id: a.route },
    reason: a.reason,
    evidence: { credential: a.credential },
  }).catch((err: unknown) => req.log.error({ err }, `could not audit ${a.action}`));
}

/** Whom an audit record names: a person by person id, a machine by the id of its key or certificate. */
export type AuditActor = { kind: 'person'; id: string } | { kind: 'user'; id: string };

/**
 * The audit actor of a caller: the person when a person acted (signed in with a session), else the machine's
 * credential (`user`, the key or certificate id). Every route that audits a caller's action names it so.
 */
export function auditActorOf(p: Principal): AuditActor {
  return p.personId !== null ? { kind: 'person', id: p.personId } : { kind: 'user', id: p.keyId };
}

/**
 * Evidence naming the credential a machine acted with (`{ credential: { kind, id } }`), spread into the evidence
 * of every audited action; nothing for a person, whom the actor already names.
 */
export function credentialEvidence(p: Principal): { credential?: { kind: string; id: string } } {
  return p.personId === null ? { credential: { kind: p.credential, id: p.keyId } } : {};
}

/**
 * How order histories and notices name a caller: `role:tenant:who`, `who` the person id for a person and the key
 * or certificate id for a machine (the tenant stays the second field, which older readers rely on).
 */
export function actorLabelOf(p: Principal): string {
  return `${p.role}:${p.tenantId}:${p.personId ?? p.keyId}`;
}

/** The caller in provenance notes: `person <id>` or `key <id>` (a certificate id for mTLS callers). */
export function callerName(p: Principal): string {
  return p.personId !== null ? `person ${p.personId}` : `key ${p.keyId}`;
}

/** The principal of an authenticated route (the hook guarantees it is set). */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw unauthenticated();
  return req.principal;
}

/** The tenant scope of this request, derived from the route's declaration and the caller (authz.ts). */
export function scopeOf(req: FastifyRequest): TenantScope {
  return scopeFor(req.routeOptions.config, principalOf(req));
}

/** The orders this request may see and act on, derived from the route's declaration and the caller (authz.ts). */
export function orderScopeOf(req: FastifyRequest): OrderScope {
  return orderScopeFor(req.routeOptions.config, principalOf(req));
}
