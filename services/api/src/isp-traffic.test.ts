import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH } from '@mod/urls';
import { useCallersWorld } from './callers-world.test-helper.js';
import { TRAFFIC_LIMITS } from './routes/isp-traffic.js';

const api = useCallersWorld({ isp: ['isp-traffic', 'isp'] });

const upload = (lines: unknown[]) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/isp/traffic-samples',
    headers: { authorization: `Bearer ${api.keys.isp}`, 'content-type': 'application/x-ndjson' },
    payload: lines.map((line) => JSON.stringify(line)).join('\n'),
  });

describe('traffic samples with hostile lines', () => {
  it('refuses a line whose canonical URL outgrows the event limit, and keeps the rest of the upload', async () => {
    // 3,000 characters as sent, 27,000 once percent-encoded: over the 8,192 an event may carry.
    const swollen = `http://swell.example/${'€'.repeat(3000)}`;
    expect(swollen.length).toBeLessThan(MAX_URL_LENGTH);
    const res = await upload([
      { url: 'http://fine.example/a' },
      { url: swollen },
      { url: 'http://fine.example/b', tenantId: 'another-isp' }, // a sample never names its ISP
      { url: 'http://fine.example/c' },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({
      accepted: 2,
      rejected: 2,
      errors: [
        {
          line: 2,
          code: 'MOD_ERR_URL_TOO_LONG',
          message: `canonical URL longer than ${MAX_URL_LENGTH} characters`,
        },
        { line: 3, code: 'MOD_ERR_ISP_LINE_SCHEMA', message: expect.any(String) as string },
      ],
    });
  });
});

describe('traffic samples written for the parser to repair', () => {
  it('refuses a URL with an empty authority (read as another host), and keeps the rest', async () => {
    const res = await upload([{ url: 'https:///p/1' }, { url: 'https:p/2' }, { url: 'https://p.example/3' }]);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 2 });
    expect(res.json<{ errors: { code: string }[] }>().errors.map((e) => e.code)).toEqual([
      'MOD_ERR_URL_INVALID',
      'MOD_ERR_URL_INVALID',
    ]);
  });
});

describe('traffic samples past the wire limit', () => {
  it('refuses gzip that decodes to nothing once its bytes pass the limit, not after reading them all', async () => {
    // Empty gzip members, 20 bytes each: twice the wire limit of them decodes to no text at all.
    const empty = gzipSync(Buffer.alloc(0));
    const count = Math.ceil((2 * TRAFFIC_LIMITS.maxBodyBytes) / empty.length);
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/isp/traffic-samples',
      headers: {
        authorization: `Bearer ${api.keys.isp}`,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      },
      payload: Buffer.concat(Array.from({ length: count }, () => empty)),
    });
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toEqual({
      error: {
        code: 'MOD_ERR_API_TOO_LARGE',
        message: `body exceeds ${TRAFFIC_LIMITS.maxBodyBytes} bytes`,
      },
    });
  });
});
