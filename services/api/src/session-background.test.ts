import { describe, expect, it } from 'vitest';
import { BACKGROUND_HEADER } from './session-auth.js';
import {
  TEST_PEOPLE_SETTINGS,
  seedPerson,
  seedSession,
  sessionHeaders,
} from './people-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * A request the console makes by itself (the desk reading its orders every 30 s) says so in `x-background-refresh`:
 * it is answered as any other, but is no use of the session, which goes idle as if the screen were left alone.
 * Over HTTP (inject) on a real database, with the API's clock moved on by hand.
 */
const api = useCallersWorld({ admin: ['ops', 'admin'] }, { tenants: { authority: 'authority' } });

describe('a background request in a session', () => {
  it('is answered, but does not keep the session from going idle; a request without the header does', async () => {
    let clock = Date.now();
    const timed = await api.world.build({
      now: () => new Date(clock),
      people: { ...TEST_PEOPLE_SETTINGS, idleTimeoutMs: 60_000 },
    });
    const get = (token: string, background: boolean) =>
      timed.inject({
        method: 'GET',
        url: '/v1/orders',
        headers: { ...sessionHeaders(token), ...(background ? { [BACKGROUND_HEADER]: '1' } : {}) },
      });
    const officer = await seedPerson(api.db, {
      tenantId: 'authority',
      login: 'officer.bg',
      role: 'authority',
    });
    const unattended = (await seedSession(api.db, officer.personId)).token;
    const attended = (await seedSession(api.db, officer.personId)).token;
    clock += 40_000;
    expect((await get(unattended, true)).statusCode).toBe(200);
    expect((await get(attended, false)).statusCode).toBe(200);
    // 80 s after they began, 40 s after the last request: the session whose last request was a person's lives on.
    clock += 40_000;
    const ended = await get(unattended, true);
    expect(ended.statusCode).toBe(401);
    expect(String(ended.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await get(attended, true)).statusCode).toBe(200);
  });
});
