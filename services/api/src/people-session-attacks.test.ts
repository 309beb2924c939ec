import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { totpCode, totpStep } from '@mod/people';
import { seedPerson, sessionHeaders, sessionTokenFrom } from './people-testing.js';
import { useCallersWorld } from './callers-world.js';
import { errorCodeOf } from './testing.js';

/** An outsider's attacks on people's sessions, each through the real API. */
const api = useCallersWorld({ admin: ['ops', 'admin'] }, { tenants: { hotline: 'hotline' } });

const signIn = (body: Record<string, string>, from = '198.51.100.20') =>
  api.app.inject({ method: 'POST', url: '/v1/session', payload: body, remoteAddress: from });
const inSession = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({
    method,
    url,
    headers: sessionHeaders(token),
    ...(payload === undefined ? {} : { payload }),
  });
const tokenOf = (res: LightMyRequestResponse) => sessionTokenFrom(res.headers['set-cookie']);
const codeAt = (secret: string, stepOffset = 0) => totpCode(secret, totpStep(Date.now()) + stepOffset);
let n = 0;
const person = (p: { totp?: boolean } = {}) =>
  seedPerson(api.db, { tenantId: 'hotline', login: `attacked.${++n}`, role: 'reviewer', ...p });

describe('TOTP enrolment', () => {
  it('ends every session begun before it: a stale enrolment session cannot replace the second factor', async () => {
    // The person chose a password but has not enrolled yet; an attacker who learnt that password signs in too.
    const q = await person({ totp: false });
    const stolen = await signIn({ login: q.login, password: q.password }, '203.0.113.90');
    expect(stolen.json()).toMatchObject({ stage: 'totp' });
    const attacker = tokenOf(stolen)!;

    // The person enrols their authenticator in their own session.
    const own = await signIn({ login: q.login, password: q.password });
    const secret = own.json<{ totpEnrolment: { secret: string } }>().totpEnrolment.secret;
    const enrolled = await inSession(tokenOf(own)!, 'POST', '/v1/session/totp', { code: codeAt(secret) });
    expect(enrolled.json()).toMatchObject({ stage: 'full' });

    // From now on the account needs the person's second factor: the attacker's session is over, at once.
    const fresh = await inSession(attacker, 'GET', '/v1/session');
    expect([fresh.statusCode, errorCodeOf(fresh)]).toEqual([401, 'MOD_ERR_API_UNAUTHENTICATED']);
    const hijack = await inSession(attacker, 'POST', '/v1/session/totp', { code: codeAt(secret, 1) });
    expect(hijack.statusCode).toBe(401);
    // The person's authenticator still signs them in; the enrolment's audit record notes the sessions it ended.
    const again = await signIn({ login: q.login, password: q.password, code: codeAt(secret, 1) });
    expect(again.json()).toMatchObject({ stage: 'full' });
    const record = (await listAudit(api.db, { subjectId: q.personId })).find(
      (r) => r.action === 'person.totp_enrolled',
    );
    expect(Object.keys(record!.evidence)).toContain('sessionsEnded');
  });
});
