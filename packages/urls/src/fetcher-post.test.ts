import { describe, expect, it } from 'vitest';
import { harness, PUBLIC_IP, TLS_CERT, useFetcherServers } from './fetcher.test-helper.js';

const servers = useFetcherServers();

describe('safe fetcher: POST (webhooks)', () => {
  it('posts the body and headers to the vetted address and answers with the status', async () => {
    const h = harness();
    const outcome = await h.post(`http://public.test:${servers.port}/hook`, {
      body: '{"event":"order.issued"}',
      // The fetcher owns Host and framing: a caller cannot redirect the request or desynchronise it.
      headers: {
        'content-type': 'application/json',
        'x-mod-signature': 't=1,v1=abc',
        host: 'evil.test',
        'Content-Length': '1',
      },
    });
    expect(outcome).toMatchObject({ ok: true, status: 204, address: PUBLIC_IP, truncated: false });
    expect(servers.posts).toHaveLength(1);
    expect(servers.posts[0]).toMatchObject({
      method: 'POST',
      body: '{"event":"order.issued"}',
      headers: {
        host: `public.test:${servers.port}`,
        'content-type': 'application/json',
        'content-length': '24',
        'x-mod-signature': 't=1,v1=abc',
      },
    });
    expect(h.dials.map((dial) => dial.address)).toEqual([PUBLIC_IP]);
    expect(h.labels).toEqual(['ok']);
  });

  it('answers any status, and returns a redirect without following it', async () => {
    const h = harness();
    expect(await h.post(`http://public.test:${servers.port}/hook?status=503`)).toMatchObject({
      ok: true,
      status: 503,
    });
    const target = `http://public.test:${servers.port}/hook`;
    const redirected = await h.post(
      `http://public.test:${servers.port}/redirect?to=${encodeURIComponent(target)}&status=307`,
    );
    expect(redirected).toMatchObject({ ok: true, status: 307 });
    expect(servers.publicServer.requests.map((r) => r.url)).toEqual([
      '/hook?status=503',
      `/redirect?to=${encodeURIComponent(target)}&status=307`,
    ]);
    expect(h.dnsCalls).toEqual(['public.test', 'public.test']);
  });

  it('reads at most maxResponseBytes of the answer', async () => {
    const h = harness();
    const outcome = await h.post(`http://public.test:${servers.port}/big-chunked`, {
      maxResponseBytes: 1000,
    });
    expect(outcome).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(outcome.ok && outcome.bytes.length).toBe(1000);
  });

  it.each(['loopback.test', 'ten.test', 'metadata.test', 'cgnat.test', 'v6loopback.test', 'mixed.test'])(
    'refuses %s before dialling',
    async (name) => {
      const h = harness();
      expect(await h.post(`http://${name}:${servers.port}/hook`)).toMatchObject({
        ok: false,
        reason: 'blocked-address',
      });
      expect(h.dials).toEqual([]);
      expect(servers.privateRequestCount()).toBe(0);
      expect(servers.posts).toEqual([]);
    },
  );

  it('refuses IP literals of internal addresses without DNS', async () => {
    const h = harness();
    for (const url of [
      `http://127.0.0.1:${servers.port}/hook`,
      `http://[::1]:${servers.port}/hook`,
      'http://169.254.169.254/',
    ])
      expect(await h.post(url)).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dnsCalls).toEqual([]);
    expect(h.dials).toEqual([]);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it('checks the name again on every post: an answer that turned private is refused (DNS changes)', async () => {
    const h = harness();
    // flip.test: public on the first answer, private on every later one.
    expect(await h.post(`http://flip.test:${servers.port}/hook`)).toMatchObject({
      ok: true,
      address: PUBLIC_IP,
    });
    expect(await h.post(`http://flip.test:${servers.port}/hook`)).toMatchObject({
      ok: false,
      reason: 'blocked-address',
    });
    expect(h.dnsCalls).toEqual(['flip.test', 'flip.test']);
    expect(servers.posts).toHaveLength(1);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it('posts over https with SNI and certificate checks against the name', async () => {
    servers.tlsRequests.length = 0;
    const h = harness({ tlsTrustedCa: TLS_CERT });
    expect(await h.post(`https://public.test:${servers.tlsPort}/hook`)).toMatchObject({
      ok: true,
      status: 200,
    });
    expect(servers.tlsRequests).toEqual([
      { servername: 'public.test', host: `public.test:${servers.tlsPort}` },
    ]);
    expect(await h.post(`https://impostor.test:${servers.tlsPort}/hook`)).toMatchObject({
      ok: false,
      reason: 'connection-failed',
    });
  });

  it('bounds the request body and the time', async () => {
    const h = harness({ maxRequestBytes: 10 });
    expect(await h.post(`http://public.test:${servers.port}/hook`, { body: 'x'.repeat(11) })).toMatchObject({
      ok: false,
      reason: 'too-large',
    });
    expect(h.dials).toEqual([]);
    const slow = harness();
    expect(await slow.post(`http://public.test:${servers.port}/slow`, { timeoutMs: 300 })).toMatchObject({
      ok: false,
      reason: 'timeout',
    });
    expect(await slow.post('file:///etc/passwd')).toMatchObject({ ok: false, reason: 'bad-url' });
  });
});
