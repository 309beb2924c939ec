import { describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';

const api = useCallersWorld({ isp: ['isp-traffic-dates', 'isp'] });

describe('traffic samples naming a time that does not exist', () => {
  it('refuses that line alone with its line number, and queues the rest of the upload', async () => {
    await listenOnLoopback(api.app);
    const lines = [
      { url: 'http://fine.example/a', observedAt: '2026-12-07T10:00:00Z' },
      { url: 'http://fine.example/b', observedAt: '2026-02-31T10:00:00Z' }, // no 31 February
      { url: 'http://fine.example/c', observedAt: '2026-12-07T24:00:00Z' }, // no hour 24
      { url: 'http://fine.example/d', observedAt: '2026-12-07T23:59:60Z' }, // no leap second
      { url: 'http://fine.example/e' },
    ];
    const res = await fetch(`${api.app.listeningOrigin}/v1/isp/traffic-samples`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.keys.isp}`, 'content-type': 'application/x-ndjson' },
      body: lines.map((line) => JSON.stringify(line)).join('\n'),
    });
    const body = await res.json();
    // Before: the one impossible time failed the event's contract as it was encoded, and the whole upload of
    // up to 100,000 lines answered 500 MOD_ERR_API_INTERNAL with nothing queued.
    expect(res.status, JSON.stringify(body)).toBe(202);
    expect(body).toEqual({
      accepted: 2,
      rejected: 3,
      errors: [2, 3, 4].map((line) => ({
        line,
        code: 'MOD_ERR_ISP_LINE_SCHEMA',
        message: expect.any(String) as unknown,
      })),
    });
  });
});
