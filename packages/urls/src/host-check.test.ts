import { describe, expect, it } from 'vitest';
import { checkHost } from './host-check.js';
import type { Resolver } from './host-check.js';

const zone: Record<string, string[]> = {
  'public.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'private.test': ['10.0.0.5'],
  'mixed.test': ['93.184.215.14', '169.254.169.254'],
  'cgnat.test': ['100.64.0.1'],
  'empty.test': [],
};
const resolver: Resolver = (name) => {
  const answers = zone[name];
  if (answers === undefined) return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${name}`));
  return Promise.resolve(answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

describe('checkHost (no traffic: a fake resolver, and the production address policy)', () => {
  it('allows a name whose every address is public, and names the first to dial', async () => {
    expect(await checkHost('public.test', { resolver })).toEqual({
      ok: true,
      address: '93.184.215.14',
      family: 4,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
  });

  it('refuses a name with any internal address, a name that does not resolve, or resolves to nothing', async () => {
    expect(await checkHost('private.test', { resolver })).toEqual({
      ok: false,
      reason: 'blocked-address',
      detail: '10.0.0.5: refuse:private',
    });
    expect(await checkHost('mixed.test', { resolver })).toMatchObject({
      ok: false,
      detail: '169.254.169.254: refuse:metadata',
    });
    expect(await checkHost('cgnat.test', { resolver })).toMatchObject({ reason: 'blocked-address' });
    expect(await checkHost('kubernetes.default.svc', { resolver })).toMatchObject({ reason: 'dns-failure' });
    expect(await checkHost('empty.test', { resolver })).toMatchObject({ reason: 'dns-failure' });
  });

  it('vets IP literals without resolving', async () => {
    const never: Resolver = () => Promise.reject(new Error('must not resolve'));
    expect(await checkHost('[::1]', { resolver: never })).toMatchObject({ reason: 'blocked-address' });
    expect(await checkHost('127.0.0.1', { resolver: never })).toMatchObject({ reason: 'blocked-address' });
    expect(await checkHost('93.184.215.14', { resolver: never })).toMatchObject({ ok: true, family: 4 });
  });

  it('gives up on a resolver that does not answer in time, or when aborted', async () => {
    const hang: Resolver = () => new Promise(() => undefined);
    expect(await checkHost('slow.test', { resolver: hang, timeoutMs: 30 })).toMatchObject({
      ok: false,
      reason: 'timeout',
    });
    const controller = new AbortController();
    const pending = checkHost('slow.test', { resolver: hang, timeoutMs: 0, signal: controller.signal });
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, reason: 'aborted' });
  });
});
