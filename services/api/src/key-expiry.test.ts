import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listApiKeys } from '@mod/db/access';
import { useCallersWorld } from './callers-world.test-helper.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const api = useCallersWorld(
  { admin: ['adm', 'admin'] },
  { tenants: { 'isp-k': 'isp' }, build: { now: () => NOW } },
);

const post = (url: string, payload: Record<string, unknown>) =>
  api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${api.keys.admin}` }, payload });

describe('credential expiry', () => {
  it('refuses to issue a key that has already expired (or expires right now)', async () => {
    for (const expiresAt of ['2026-03-01T11:59:59.000Z', NOW.toISOString(), '2001-01-01T00:00:00Z']) {
      const res = await post('/v1/admin/tenants/isp-k/keys', { role: 'isp', expiresAt });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { code: 'MOD_ERR_API_EXPIRY_PAST', message: 'expiresAt must be in the future' },
      });
    }
    expect(await listApiKeys(api.db, 'isp-k', 100)).toEqual([]);
    const ok = await post('/v1/admin/tenants/isp-k/keys', {
      role: 'isp',
      expiresAt: '2026-03-01T12:00:01.000Z',
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<{ expiresAt: string }>().expiresAt).toBe('2026-03-01T12:00:01.000Z');
  });

  it('refuses to register a client certificate that has already expired', async () => {
    const res = await post('/v1/admin/tenants/isp-k/certificates', {
      fingerprintSha256: randomBytes(32).toString('hex'),
      expiresAt: '2026-02-28T00:00:00Z',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_EXPIRY_PAST');
  });
});
