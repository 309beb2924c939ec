import { randomBytes } from 'node:crypto';
import type { Queryable } from '@mod/db';
import {
  confirmTotp,
  createPerson,
  insertSession,
  PersonRoles,
  setPendingTotp,
  setPersonPassword,
  type PersonRole,
} from '@mod/db/people';
import {
  DEFAULT_LOCKOUT_POLICY,
  csrfTokenFor,
  generateTotpSecret,
  hashPassword,
  newSessionToken,
  parseSecretKey,
  sealSecret,
  tokenDigest,
  totpCode,
  totpStep,
  type SessionStage,
} from '@mod/people';
import type { PeopleFixtureContext } from './authz-matrix-entry.test-helper.js';
import { pendingTotpOwner } from './routes/session-common.js';
import { CSRF_HEADER, SESSION_COOKIE, type PeopleSettings } from './session-auth.js';

/**
 * For this package's tests: staff accounts and sessions made straight in the database (as the routes would make
 * them), and the API's people settings with a sealing key of their own and cheap argon2 parameters.
 */
export const TEST_PEOPLE_SETTINGS: Partial<PeopleSettings> = {
  secretKey: parseSecretKey(randomBytes(32).toString('base64')),
  passwordParams: { memoryKiB: 64, passes: 1, parallelism: 1 },
  lockout: DEFAULT_LOCKOUT_POLICY,
};

export const TEST_PASSWORD = 'a long enough test pass phrase';

export interface TestPerson {
  personId: string;
  login: string;
  password: string;
  /** The enrolled TOTP secret (base32), or null. */
  totpSecret: string | null;
}

/**
 * A person of `tenantId` with `role`: by default with a chosen password (`TEST_PASSWORD`) and TOTP enrolled;
 * `oneTimePassword` leaves them at their first sign-in (that password must be replaced, no TOTP).
 */
export async function seedPerson(
  db: Queryable,
  p: { tenantId: string; login: string; role: PersonRole; oneTimePassword?: string; totp?: boolean },
  settings: Partial<PeopleSettings> = TEST_PEOPLE_SETTINGS,
): Promise<TestPerson> {
  const password = p.oneTimePassword ?? TEST_PASSWORD;
  const hash = await hashPassword(password, settings.passwordParams);
  const made = await createPerson(db, {
    tenantId: p.tenantId,
    login: p.login,
    displayName: `Test ${p.login}`,
    role: p.role,
    passwordHash: hash,
    passwordExpiresAt: new Date(Date.now() + 3600_000),
    createdBy: 'test',
  });
  if (!made.ok) throw new Error(`could not seed person ${p.login}: ${made.reason}`);
  const personId = made.person.id;
  if (p.oneTimePassword !== undefined) return { personId, login: p.login, password, totpSecret: null };
  await setPersonPassword(db, personId, hash, new Date());
  if (p.totp === false) return { personId, login: p.login, password, totpSecret: null };
  const totpSecret = generateTotpSecret();
  await setPendingTotp(db, personId, sealSecret(settings.secretKey!, totpSecret, personId));
  // Enrolled as of a minute ago, so any code from now on is new.
  await confirmTotp(db, personId, totpStep(Date.now()) - 2, new Date());
  return { personId, login: p.login, password, totpSecret };
}

/** A session of a person at `stage`, as the session cookie and CSRF headers a browser would send. */
export async function seedSession(
  db: Queryable,
  personId: string,
  stage: SessionStage = 'full',
  clientAddress = '127.0.0.1',
): Promise<{ sessionId: string; token: string; headers: Record<string, string> }> {
  const token = newSessionToken();
  const now = new Date();
  const { id } = await insertSession(db, {
    tokenSha256: tokenDigest(token),
    personId,
    stage,
    clientAddress,
    now,
    expiresAt: new Date(now.getTime() + 3600_000),
  });
  return { sessionId: id, token, headers: sessionHeaders(token) };
}

/** The headers of a request in a session: its cookie and its CSRF token. */
export function sessionHeaders(token: string): Record<string, string> {
  return { cookie: `${SESSION_COOKIE}=${token}`, [CSRF_HEADER]: csrfTokenFor(token) };
}

/** The session token a `Set-Cookie` header sets (null: none, or a cleared cookie). */
export function sessionTokenFrom(setCookie: string | string[] | undefined): string | null {
  for (const c of [setCookie ?? []].flat()) {
    const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
    if (m?.[1] !== undefined && m[1] !== '') return m[1];
  }
  return null;
}

/** The TOTP code of a secret now (or at `nowMs`). */
export function currentCode(secret: string, nowMs = Date.now()): string {
  return totpCode(secret, totpStep(nowMs));
}

/**
 * A person at TOTP enrolment: no second factor enrolled (an enrolled one is never replaced), and a fresh secret
 * pending for one session of theirs; answers its current code.
 */
export async function pendTotp(
  db: Queryable,
  personId: string,
  sessionId: string,
  settings: Partial<PeopleSettings> = TEST_PEOPLE_SETTINGS,
): Promise<string> {
  await db.query(
    `update people set totp_secret_sealed = null, totp_last_step = null, totp_enrolled_at = null where id = $1`,
    [personId],
  );
  const secret = generateTotpSecret();
  const owner = pendingTotpOwner(personId, sessionId);
  await setPendingTotp(db, personId, sealSecret(settings.secretKey!, secret, owner));
  return currentCode(secret);
}

/**
 * The people of the authorization matrix: a calling person for every person role, in that role's own fixture
 * tenant (`<role>-tenant-own`, made by `seedAccessFixtures`); a spare reviewer of the hotline tenant the
 * administration routes act on; and a person at their first sign-in, whom `POST /v1/session` signs in.
 */
export async function seedMatrixPeople(db: Queryable): Promise<{
  callers: Record<PersonRole, TestPerson>;
  shared: Pick<PeopleFixtureContext, 'hotlineTenantId' | 'personId' | 'firstSignIn'>;
}> {
  const callers = {} as Record<PersonRole, TestPerson>;
  for (const role of PersonRoles)
    callers[role] = await seedPerson(db, { tenantId: `${role}-tenant-own`, login: `matrix.${role}`, role });
  const hotlineTenantId = 'reviewer-tenant-own';
  const spare = await seedPerson(db, { tenantId: hotlineTenantId, login: 'matrix.spare', role: 'reviewer' });
  const first = await seedPerson(db, {
    tenantId: hotlineTenantId,
    login: 'matrix.first',
    role: 'reviewer',
    oneTimePassword: 'one-time-password-of-the-matrix',
  });
  return {
    callers,
    shared: {
      hotlineTenantId,
      personId: spare.personId,
      firstSignIn: { login: first.login, password: first.password },
    },
  };
}
