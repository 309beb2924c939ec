import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '@mod/db';
import { getTenant, type TenantKind } from '@mod/db/access';
import { appendAudit, type AuditEntry } from '@mod/db/audit';
import { getPerson, insertSession, setPendingTotp, type Person } from '@mod/db/people';
import {
  csrfTokenFor,
  generateTotpSecret,
  hashPassword,
  newSessionToken,
  openSecret,
  otpauthUri,
  sealSecret,
  tokenDigest,
  type SecretKey,
  type SessionStage,
} from '@mod/people';
import { peopleError } from '../people-errors.js';
import { sessionCookie, type PeopleSettings } from '../session-auth.js';
import type { PeopleRouteDeps } from './people-schemas.js';

/** The key that seals TOTP secrets, or 503 `MOD_ERR_API_PEOPLE_KEY_MISSING` when the API has none. */
export function requireSecretKey(req: FastifyRequest, settings: PeopleSettings): SecretKey {
  if (settings.secretKey === null)
    throw peopleError(req, 'MOD_ERR_API_PEOPLE_KEY_MISSING', 'people-key-missing');
  return settings.secretKey;
}

/** The TOTP secret a person enrols and its `otpauth://` URI (for the authenticator app's QR code). */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
}

/** Sets the session cookie of a session begun (`beginSession`), lasting until the session's absolute end. */
export function setSessionCookie(reply: FastifyReply, begun: { token: string; maxAgeMs: number }): void {
  reply.header('set-cookie', sessionCookie(begun.token, begun.maxAgeMs));
}

/**
 * Whom a pending TOTP secret is sealed for: the person and the one session it was shown to. Another session of
 * the person (one begun with a stolen password before they enrolled) cannot open it, so never learns the secret
 * the person goes on to enrol.
 */
export const pendingTotpOwner = (personId: string, sessionId: string) => `${personId}/session/${sessionId}`;

/** The pending secret, when it was made for this session; null when it was another's (or does not open). */
export function openPendingTotp(
  key: SecretKey,
  sealed: Buffer,
  a: { personId: string; sessionId: string },
): string | null {
  try {
    return openSecret(key, sealed, pendingTotpOwner(a.personId, a.sessionId));
  } catch {
    return null;
  }
}

/**
 * The TOTP secret a person enrols in session `sessionId`: the one pending for this session (opened), or a fresh one
 * kept pending (sealed for this person and session, replacing another session's); with its `otpauth://` URI.
 */
export async function totpEnrolment(
  db: Queryable,
  a: { person: Person; sessionId: string; pendingSealed: Buffer | null; key: SecretKey; issuer: string },
): Promise<TotpEnrolment> {
  const owner = { personId: a.person.id, sessionId: a.sessionId };
  let secret = a.pendingSealed === null ? null : openPendingTotp(a.key, a.pendingSealed, owner);
  if (secret === null) {
    secret = generateTotpSecret();
    await setPendingTotp(
      db,
      a.person.id,
      sealSecret(a.key, secret, pendingTotpOwner(a.person.id, a.sessionId)),
    );
  }
  return { secret, otpauthUri: otpauthUri({ secret, issuer: a.issuer, account: a.person.login }) };
}

/** What the session routes answer: the stage, the CSRF token, who, until when (and enrolment, when due). */
export function sessionAnswer(a: {
  person: Person;
  /** The kind of the person's tenant: the console shows an authority's reviewer no citizens' reports. */
  tenantKind: TenantKind;
  stage: SessionStage;
  token: string;
  expiresAt: string;
  idleExpiresAt: string;
  totpEnrolment?: TotpEnrolment;
}) {
  return {
    stage: a.stage,
    csrfToken: csrfTokenFor(a.token),
    person: {
      id: a.person.id,
      tenantId: a.person.tenantId,
      tenantKind: a.tenantKind,
      login: a.person.login,
      displayName: a.person.displayName,
      role: a.person.role,
    },
    expiresAt: a.expiresAt,
    idleExpiresAt: a.idleExpiresAt,
    ...(a.totpEnrolment === undefined ? {} : { totpEnrolment: a.totpEnrolment }),
  };
}

/**
 * Starts a session of `person` at `stage` (in the caller's transaction) and audits it as `action` (with `reason`;
 * evidence: the session, then `evidence`). `answer` is what the route answers (with the TOTP enrolment, when due) and the token
 * whose cookie is set once the transaction commits (`setSessionCookie`): a rolled-back session must not reach the
 * browser. A session that goes on under a new token (`continues`: a password change, TOTP enrolment) keeps the
 * absolute end of the one it replaces: otherwise each password change would grant another full timeout, and a
 * session (or whoever holds it) could outlive its absolute limit for as long as it kept changing the password.
 */
export async function beginSession(
  db: Queryable,
  a: {
    person: Person;
    stage: SessionStage;
    clientAddress: string;
    now: Date;
    settings: PeopleSettings;
    action: string;
    reason?: string | null;
    evidence: Record<string, unknown>;
    /** The session this one goes on from, whose absolute end it keeps. */
    continues?: { expiresAt: string };
  },
) {
  const token = newSessionToken();
  const expiresAt =
    a.continues === undefined
      ? new Date(a.now.getTime() + a.settings.absoluteTimeoutMs)
      : new Date(a.continues.expiresAt);
  const idleExpiresAt = Math.min(a.now.getTime() + a.settings.idleTimeoutMs, expiresAt.getTime());
  const tenantKind = await tenantKindOf(db, a.person.tenantId);
  const { id } = await insertSession(db, {
    tokenSha256: tokenDigest(token),
    personId: a.person.id,
    stage: a.stage,
    clientAddress: a.clientAddress,
    now: a.now,
    expiresAt,
  });
  await auditPerson(db, a.person, {
    action: a.action,
    reason: a.reason ?? null,
    evidence: { session: id, ...a.evidence },
  });
  return {
    id,
    answer: (enrolment?: TotpEnrolment) => ({
      body: sessionAnswer({
        person: a.person,
        tenantKind,
        stage: a.stage,
        token,
        expiresAt: expiresAt.toISOString(),
        idleExpiresAt: new Date(idleExpiresAt).toISOString(),
        ...(enrolment === undefined ? {} : { totpEnrolment: enrolment }),
      }),
      token,
      maxAgeMs: expiresAt.getTime() - a.now.getTime(),
    }),
  };
}

/** The person behind a live session (the session's join guarantees one). */
export async function personOf(db: Queryable, personId: string): Promise<Person> {
  const person = await getPerson(db, personId);
  if (person === null) throw new Error(`person ${personId} of a live session vanished`);
  return person;
}

/** The kind of a person's tenant (a person's tenant is never deleted). */
export async function tenantKindOf(db: Queryable, tenantId: string): Promise<TenantKind> {
  const tenant = await getTenant(db, tenantId);
  if (tenant === null) throw new Error(`tenant ${tenantId} of a person vanished`);
  return tenant.kind;
}

/** An audit record of a person's own action (sign-in, password change, enrolment, sign-out). */
export function auditPerson(
  db: Queryable,
  person: Pick<Person, 'id' | 'role' | 'tenantId'>,
  e: Pick<AuditEntry, 'action' | 'reason' | 'evidence'>,
) {
  return appendAudit(db, {
    actor: { kind: 'person', id: person.id },
    role: person.role,
    tenantId: person.tenantId,
    subject: { type: 'person', id: person.id },
    ...e,
  });
}

/** The argon2id hash of a new password with the API's parameters. */
export const hashNewPassword = (deps: PeopleRouteDeps, password: string) =>
  deps.people.passwordParams === undefined
    ? hashPassword(password)
    : hashPassword(password, deps.people.passwordParams);
