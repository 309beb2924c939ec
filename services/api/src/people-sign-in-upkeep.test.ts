import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listAudit, auditEvidence } from '@mod/db/audit';
import { getPersonSecrets, insertSession, pruneEndedSessions, setPersonDisabled } from '@mod/db/people';
import { parsePasswordHash, totpCode, totpStep, verifyPassword } from '@mod/people';
import { createRegistry } from '@mod/telemetry';
import { TEST_PEOPLE_SETTINGS, seedPerson, type TestPerson } from './people-testing.test-helper.js';
import { ENDED_SESSIONS_KEPT_MS, SESSIONS_PRUNED_PER_SIGN_IN } from './routes/session-upkeep.js';
import { useCallersWorld } from './callers-world.test-helper.js';

// What a sign-in does besides signing in: it is counted by outcome, it renews a password hash made with older
// argon2 parameters, and a successful one prunes a batch of ended sessions. Real PostgreSQL, real routes.

const HOUR = 3_600_000;
const registry = createRegistry('api');
const api = useCallersWorld({}, { tenants: { hotline: 'hotline' }, build: { registry } });

let n = 0;
const person = (p: { oneTimePassword?: string; totp?: boolean } = {}, settings = TEST_PEOPLE_SETTINGS) =>
  seedPerson(api.db, { tenantId: 'hotline', login: `upkeep.${++n}`, role: 'reviewer', ...p }, settings);
/** A distinct client address per call, so the lock-out of one test never touches another. */
const address = () => `198.51.100.${++n % 250}`;
const signIn = (body: Record<string, string>, from = address()) =>
  api.app.inject({ method: 'POST', url: '/v1/session', payload: body, remoteAddress: from });
const codeOf = (p: TestPerson, stepOffset = 0) =>
  totpCode(p.totpSecret ?? '', totpStep(Date.now()) + stepOffset);

async function signIns(): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('mod_api_sign_ins_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels['outcome']), v.value]));
}

describe('mod_api_sign_ins_total', () => {
  it('counts every sign-in by outcome, each outcome present from the start', async () => {
    const counts = await signIns();
    expect(Object.keys(counts).sort()).toEqual(
      ['bad-credentials', 'disabled', 'enrolment', 'locked', 'second-factor', 'success'].sort(),
    );
    const expected = { ...counts };
    const expectCounted = async (outcome: string, res: { statusCode: number }, status: number) => {
      expect(res.statusCode).toBe(status);
      expected[outcome] = (expected[outcome] ?? 0) + 1;
      expect(await signIns()).toEqual(expected);
    };

    const full = await person();
    const used = codeOf(full);
    await expectCounted(
      'success',
      await signIn({ login: full.login, password: full.password, code: used }),
      200,
    );
    const first = await person({ oneTimePassword: 'a one-time password given' });
    await expectCounted('enrolment', await signIn({ login: first.login, password: first.password }), 200);
    const noSecondFactor = await person({ totp: false });
    await expectCounted(
      'enrolment',
      await signIn({ login: noSecondFactor.login, password: noSecondFactor.password }),
      200,
    );
    await expectCounted(
      'bad-credentials',
      await signIn({ login: full.login, password: 'not the password at all' }),
      401,
    );
    await expectCounted(
      'bad-credentials',
      await signIn({ login: 'nobody.here', password: 'whatever it is now' }),
      401,
    );
    await expectCounted('second-factor', await signIn({ login: full.login, password: full.password }), 401);
    await expectCounted(
      'second-factor',
      // The code the first sign-in used, a replay (a fresh code could fall in the next 30-second step, unused).
      await signIn({ login: full.login, password: full.password, code: used }),
      401,
    );
    const away = await person();
    await setPersonDisabled(api.db, away.personId, { disabled: true, reason: 'on leave' }, new Date());
    await expectCounted(
      'disabled',
      await signIn({ login: away.login, password: away.password, code: codeOf(away) }),
      403,
    );

    // Five failures of one login from one address lock that pair: the sixth attempt is refused unchecked.
    const guessed = await person();
    const from = address();
    for (let i = 0; i < 5; i++)
      await expectCounted(
        'bad-credentials',
        await signIn({ login: guessed.login, password: `guess number ${i}` }, from),
        401,
      );
    await expectCounted(
      'locked',
      await signIn({ login: guessed.login, password: guessed.password, code: codeOf(guessed) }, from),
      429,
    );
  });
});

describe('a password hash made with older argon2 parameters', () => {
  it('is renewed at the next successful sign-in (same password, current parameters), once', async () => {
    const current = TEST_PEOPLE_SETTINGS.passwordParams!;
    const older = { ...current, memoryKiB: current.memoryKiB / 2 };
    const p = await person({}, { ...TEST_PEOPLE_SETTINGS, passwordParams: older });
    const stored = async () => (await getPersonSecrets(api.db, p.personId))?.passwordHash ?? '';
    const before = await stored();
    expect(parsePasswordHash(before).params).toEqual(older);

    // A failed sign-in (the second factor missing) renews nothing.
    expect((await signIn({ login: p.login, password: p.password })).statusCode).toBe(401);
    expect(await stored()).toBe(before);

    expect((await signIn({ login: p.login, password: p.password, code: codeOf(p) })).statusCode).toBe(200);
    const renewed = await stored();
    expect(renewed).not.toBe(before);
    expect(parsePasswordHash(renewed).params).toEqual(current);
    expect(await verifyPassword(p.password, renewed)).toBe(true);
    expect(await verifyPassword('another password entirely', renewed)).toBe(false);

    // The sign-in's audit record says so; the next sign-in finds the hash current and leaves it.
    expect((await signIn({ login: p.login, password: p.password, code: codeOf(p, 1) })).statusCode).toBe(200);
    expect(await stored()).toBe(renewed);
    const records = (await listAudit(api.db, { limit: 100_000 })).filter(
      (r) => r.action === 'person.signed_in' && r.actor.id === p.personId,
    );
    expect(records).toHaveLength(2);
    const rehashedFlags = [];
    for (const r of records) {
      const docs = await auditEvidence(api.db, r.seq);
      rehashedFlags.push(docs?.some((d) => d.name === 'passwordRehashed') ?? false);
    }
    expect(rehashedFlags).toEqual([true, false]);
  });
});

describe('ended sessions', () => {
  it('are pruned by successful sign-ins, a batch each, once ended longer than they are kept', async () => {
    // Whatever earlier tests left ended goes first, so that the counts below are this test's.
    const idleMs = 30 * 60_000; // the default idle timeout, which these tests keep
    while (
      (await pruneEndedSessions(api.db, {
        now: new Date(),
        idleMs,
        keptMs: ENDED_SESSIONS_KEPT_MS,
        limit: 1000,
      })) > 0
    );
    const someone = await person();
    const longAgo = new Date(Date.now() - ENDED_SESSIONS_KEPT_MS - 2 * HOUR);
    const ended: string[] = [];
    for (let i = 0; i < SESSIONS_PRUNED_PER_SIGN_IN + 20; i++) {
      const { id } = await insertSession(api.db, {
        tokenSha256: randomBytes(32),
        personId: someone.personId,
        stage: 'full',
        clientAddress: '192.0.2.7',
        now: new Date(longAgo.getTime() - HOUR),
        expiresAt: longAgo,
      });
      ended.push(id);
    }
    // Ended an hour ago: kept, its cookie still answered with why it ended.
    const recent = await insertSession(api.db, {
      tokenSha256: randomBytes(32),
      personId: someone.personId,
      stage: 'full',
      clientAddress: '192.0.2.7',
      now: new Date(Date.now() - 2 * HOUR),
      expiresAt: new Date(Date.now() - HOUR),
    });
    const left = async (ids: string[]) =>
      (await api.db.query(`select 1 from person_sessions where id = any($1)`, [ids])).rowCount;

    // A failed sign-in prunes nothing.
    expect((await signIn({ login: someone.login, password: 'not the password at all' })).statusCode).toBe(
      401,
    );
    expect(await left(ended)).toBe(ended.length);

    const first = await signIn({ login: someone.login, password: someone.password, code: codeOf(someone) });
    expect(first.statusCode).toBe(200);
    expect(await left(ended)).toBe(20);
    const second = await signIn({
      login: someone.login,
      password: someone.password,
      code: codeOf(someone, 1),
    });
    expect(second.statusCode).toBe(200);
    expect(await left(ended)).toBe(0);
    expect(await left([recent.id])).toBe(1);
    // The sessions the two sign-ins started are live, and stay.
    const live = await api.db.query(
      `select 1 from person_sessions where person_id = $1 and expires_at > now() and revoked_at is null`,
      [someone.personId],
    );
    expect(live.rowCount).toBe(2);
  });
});
