import { describe, expect, it } from 'vitest';
import { createSafeFetcher } from './fetcher.js';
import type { FetchOutcomeLabel } from './fetcher-types.js';
import { harness, PUBLIC_IP, useFetcherServers } from './fetcher.test-helper.js';

const servers = useFetcherServers();

describe('safe fetcher: SSRF refusals (the private servers must see zero requests)', () => {
  const refusedNames = [
    'loopback.test',
    'ten.test',
    'oneseventwo.test',
    'oneninetwo.test',
    'linklocal.test',
    'metadata.test',
    'cgnat.test',
    'v6loopback.test',
    'mapped.test',
    'mapped-hex.test',
    'nat64.test',
    'ula.test',
    'v6linklocal.test',
    'mixed.test',
    'mixed-v6.test',
  ];
  it.each(refusedNames)('refuses %s before dialling', async (name) => {
    const h = harness();
    const outcome = await h.fetch(`http://${name}:${servers.port}/img.jpg`);
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dials).toEqual([]);
    expect(h.labels).toEqual(['blocked-address']);
    expect(servers.privateRequestCount()).toBe(0);
    expect(servers.publicServer.requests).toEqual([]);
  });

  it.each([
    'http://127.0.0.1:PORT/img.jpg',
    'http://2130706433:PORT/img.jpg',
    'http://0x7f.1:PORT/img.jpg',
    'http://[::1]:PORT/img.jpg',
    'http://[::ffff:127.0.0.1]:PORT/img.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0:PORT/',
  ])('refuses the IP literal %s', async (template) => {
    const h = harness();
    const outcome = await h.fetch(template.replace('PORT', String(servers.port)));
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dials).toEqual([]);
    expect(h.dnsCalls).toEqual([]);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it.each([
    ['a name resolving to loopback', () => `http://loopback.test:${servers.port}/img.jpg`],
    ['the metadata service', () => `http://metadata.test:${servers.port}/latest/meta-data/`],
    ['an IP literal', () => `http://127.0.0.1:${servers.port}/img.jpg`],
    ['a decimal IP literal', () => `http://2130706433:${servers.port}/img.jpg`],
    ['IPv6 loopback', () => `http://[::1]:${servers.port}/img.jpg`],
  ])('refuses a redirect chain from an allowed host into %s', async (_name, target) => {
    const h = harness();
    const first = `http://public.test:${servers.port}/redirect?to=${encodeURIComponent(`http://public.test:${servers.port}/redirect?to=${encodeURIComponent(target())}`)}`;
    const outcome = await h.fetch(first);
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(outcome.redirects).toHaveLength(2);
    expect(servers.publicServer.requests).toHaveLength(2);
    expect(h.dials.every((dial) => dial.address === PUBLIC_IP)).toBe(true);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it.each([
    ['a bad port of a public host (SMTP)', 'http://public.test:25/img.jpg'],
    ['a bad port on https (IRC over TLS)', 'https://public.test:6697/img.jpg'],
    [
      'a redirect to a bad port',
      `http://public.test:PORT/redirect?to=${encodeURIComponent('http://public.test:22/x')}`,
    ],
  ])('refuses %s, as browsers do, before dialling it', async (_name, template) => {
    const h = harness();
    const outcome = await h.fetch(template.replace('PORT', String(servers.port)));
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dials.every((dial) => dial.port === servers.port)).toBe(true);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it('pins the vetted address: DNS answers that change after vetting are never used (rebinding)', async () => {
    const h = harness();
    // flip.test: public on the first answer, private on every later one.
    const outcome = await h.fetch(`http://flip.test:${servers.port}/img.jpg`);
    expect(outcome).toMatchObject({ ok: true, address: PUBLIC_IP });
    expect(h.dnsCalls).toEqual(['flip.test']);
    expect(servers.publicServer.requests).toEqual([{ url: '/img.jpg', host: `flip.test:${servers.port}` }]);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it('re-resolves on a redirect and refuses when the name now points at a private address (rebinding)', async () => {
    const h = harness();
    const outcome = await h.fetch(`http://flip.test:${servers.port}/self-then-img`);
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'blocked-address',
      url: `http://flip.test:${servers.port}/img.jpg`,
    });
    expect(h.dnsCalls).toEqual(['flip.test', 'flip.test']);
    expect(servers.publicServer.requests.map((request) => request.url)).toEqual(['/self-then-img']);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it('the production policy refuses loopback even for names the system resolver knows', async () => {
    const labels: FetchOutcomeLabel[] = [];
    const fetcher = createSafeFetcher({ countOutcome: (label) => labels.push(label) });
    const outcome = await fetcher.fetch(`http://localhost:${servers.port}/img.jpg`);
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(await fetcher.fetch(`http://127.0.0.2:${servers.port}/img.jpg`)).toMatchObject({
      ok: false,
      reason: 'blocked-address',
    });
    expect(labels).toEqual(['blocked-address', 'blocked-address']);
    expect(servers.publicServer.requests).toEqual([]);
    expect(servers.privateRequestCount()).toBe(0);
  });
});
