import { describe, expect, it } from 'vitest';
import { pruneEndedSessions } from '@mod/db/people';
import { totpCode, totpStep } from '@mod/people';
import { seedPerson, seedSession } from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { errorCodeOf } from './testing.test-helper.js';

/**
 * The code lock (10 wrong TOTP codes of a login from every address) against the person it protects: a holder of
 * the password (phished, reused) must not be able to keep its owner out by failing codes on purpose.
 */
const api = useCallersWorld({ admin: ['ops', 'admin'] }, { tenants: { hotline: 'hotline' } });

const OFFICE = '198.51.100.40';
const signIn = (body: Record<string, string>, from: string) =>
  api.app.inject({ method: 'POST', url: '/v1/session', payload: body, remoteAddress: from });
const codeAt = (secret: string, stepOffset = 0) => totpCode(secret, totpStep(Date.now()) + stepOffset);
let n = 0;
const person = () => seedPerson(api.db, { tenantId: 'hotline', login: `code.lock.${++n}`, role: 'reviewer' });
/** Ten wrong codes with the right password, each from an address `at(i)`. */
const failCodes = async (q: Awaited<ReturnType<typeof person>>, at: (i: number) => string) => {
  for (let i = 0; i < 10; i++) {
    const guess = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 5 + i) },
      at(i),
    );
    expect([guess.statusCode, errorCodeOf(guess)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
  }
};

describe('the code lock', () => {
  it('does not keep the owner out at an address they signed in from: only guesses from there lock it', async () => {
    const q = await person();
    // The owner signed in with both factors at the office (yesterday, say), and signed out.
    const own = await signIn({ login: q.login, password: q.password, code: codeAt(q.totpSecret!) }, OFFICE);
    expect(own.json()).toMatchObject({ stage: 'full' });
    // Whoever holds the password fails codes from elsewhere until the login's codes lock.
    await failCodes(q, (i) => `2001:db8:4${i.toString(16)}::1`);
    const lucky = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 1) },
      '2001:db8:ff::1',
    );
    expect([lucky.statusCode, errorCodeOf(lucky)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    // The owner, back at the office with their authenticator, still signs in.
    const back = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 1) },
      OFFICE,
    );
    expect([back.statusCode, back.json<{ stage?: string }>().stage]).toEqual([200, 'full']);
  });

  it("is still the login's at its owner's addresses: ten wrong codes from them lock codes there", async () => {
    const q = await person();
    // The owner signed in at the office and at ten other places; whoever guesses codes from those places (a
    // colleague behind the office's address) still meets the login's limit there.
    const known = (i: number) => `198.51.100.${60 + i}`;
    await seedSession(api.db, q.personId, 'full', OFFICE);
    for (let i = 0; i < 10; i++) await seedSession(api.db, q.personId, 'full', known(i));
    await failCodes(q, known);
    const right = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 1) },
      OFFICE,
    );
    expect([right.statusCode, errorCodeOf(right)]).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
  });

  it('remembers an address a month after its session ended: pruning keeps the latest full session there', async () => {
    const q = await person();
    const { sessionId } = await seedSession(api.db, q.personId, 'full', OFFICE);
    await api.db.query(
      `update person_sessions set revoked_at = now() - interval '3 days', created_at = now() - interval '3 days'
       where id = $1`,
      [sessionId],
    );
    await pruneEndedSessions(api.db, {
      now: new Date(),
      idleMs: 30 * 60_000,
      keptMs: 24 * 3600_000,
      limit: 10_000,
    });
    const kept = await api.db.query('select 1 from person_sessions where id = $1', [sessionId]);
    expect(kept.rowCount).toBe(1);
    await failCodes(q, (i) => `2001:db8:5${i.toString(16)}::1`);
    const back = await signIn(
      { login: q.login, password: q.password, code: codeAt(q.totpSecret!, 1) },
      OFFICE,
    );
    expect(back.statusCode).toBe(200);
  });
});
