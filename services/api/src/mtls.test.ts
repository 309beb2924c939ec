import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  normaliseFingerprint,
  registerClientCertificate,
  revokeClientCertificate,
  upsertTenant,
  verifyClientCertificate,
} from '@mod/db/access';
import { verifiedClientFingerprint } from './auth.js';
import { tlsOptions } from './tls.js';
import { createApiTestWorld, type ApiTestWorld } from './testing.test-helper.js';

const fixturePath = (name: string) => new URL(`./fixtures/tls/${name}`, import.meta.url).pathname;
const fixture = (name: string) => readFileSync(fixturePath(name));
const tls = {
  ca: fixture('ca.crt'),
  server: { key: fixture('server.key'), cert: fixture('server.crt') },
  client: { key: fixture('client.key'), cert: fixture('client.crt') },
  rogue: { key: fixture('rogue.key'), cert: fixture('rogue.crt') },
};
const fingerprintOf = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

describe('verifiedClientFingerprint', () => {
  it('takes the fingerprint only from a certificate the TLS layer verified', () => {
    const cert = { fingerprint256: 'AB:CD' };
    expect(verifiedClientFingerprint({ authorized: true, getPeerCertificate: () => cert })).toBe('AB:CD');
    expect(verifiedClientFingerprint({ authorized: false, getPeerCertificate: () => cert })).toBeNull();
    expect(verifiedClientFingerprint({})).toBeNull(); // plain HTTP socket
    const none = {}; // no certificate presented
    expect(verifiedClientFingerprint({ authorized: true, getPeerCertificate: () => none })).toBeNull();
  });

  it('normalises the printed forms of a SHA-256 fingerprint and refuses others', () => {
    const fp = fingerprintOf(tls.client.cert);
    const hex = fp.replace(/:/g, '').toLowerCase();
    expect(normaliseFingerprint(fp)).toBe(hex);
    expect(normaliseFingerprint(hex.toUpperCase())).toBe(hex);
    expect(normaliseFingerprint(` ${fp.replace(/:/g, ' ')} `)).toBe(hex);
    expect(normaliseFingerprint(hex.slice(2))).toBeNull();
    expect(normaliseFingerprint("' or 1=1 --")).toBeNull();
  });
});

describe('tlsOptions', () => {
  it('is plain HTTP without paths, TLS with cert and key, mTLS with a client CA; half a pair is an error', () => {
    expect(tlsOptions({ certPath: '', keyPath: '', clientCaPath: '' })).toBeUndefined();
    const plain = tlsOptions({
      certPath: fixturePath('server.crt'),
      keyPath: fixturePath('server.key'),
      clientCaPath: '',
    });
    expect(plain).toMatchObject({ minVersion: 'TLSv1.2' });
    expect(plain).not.toHaveProperty('requestCert');
    expect(() => tlsOptions({ certPath: fixturePath('server.crt'), keyPath: '', clientCaPath: '' })).toThrow(
      /together/,
    );
  });

  it('refuses a client CA without the listener its certificates need (mTLS), rather than serving plain HTTP', () => {
    // The operator asked for client certificates: plain HTTP would carry every API key in the clear, silently.
    let error: unknown;
    try {
      tlsOptions({ certPath: '', keyPath: '', clientCaPath: fixturePath('ca.crt') });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'MOD_ERR_CONFIG_INVALID' });
    expect(String((error as Error).message)).toMatch(/API_TLS_CLIENT_CA_PATH needs API_TLS_CERT_PATH/);
    // Half a pair is a configuration error too, with its code.
    expect(() => tlsOptions({ certPath: '', keyPath: fixturePath('server.key'), clientCaPath: '' })).toThrow(
      expect.objectContaining({ code: 'MOD_ERR_CONFIG_INVALID' }),
    );
  });
});

describe('client certificates (mTLS) over a real TLS listener on loopback', () => {
  let world: ApiTestWorld;
  let app: FastifyInstance;
  let url: URL;
  let certificateId: string;

  beforeAll(async () => {
    world = await createApiTestWorld();
    const options = tlsOptions({
      certPath: fixturePath('server.crt'),
      keyPath: fixturePath('server.key'),
      clientCaPath: fixturePath('ca.crt'),
    });
    // Unverified certificates still connect (API keys keep working) but never authenticate.
    expect(options).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    app = await world.build({ ...(options === undefined ? {} : { tls: options }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = new URL(`https://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    const db = world.db.pool;
    await upsertTenant(db, { id: 'isp-tls', kind: 'isp', name: 'ISP over TLS', subscribedToBlocking: true });
    await upsertTenant(db, { id: 'adm', kind: 'admin', name: 'Admin', subscribedToBlocking: false });
    const admin = (await createApiKey(db, { tenantId: 'adm', role: 'admin' })).key;
    const registered = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/isp-tls/certificates',
      headers: { authorization: `Bearer ${admin}` },
      payload: { fingerprintSha256: fingerprintOf(tls.client.cert), label: 'edge proxy' },
    });
    expect(registered.statusCode).toBe(201);
    certificateId = registered.json<{ id: string }>().id;
    const twice = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/isp-tls/certificates',
      headers: { authorization: `Bearer ${admin}` },
      payload: { fingerprintSha256: fingerprintOf(tls.client.cert) },
    });
    expect(twice.statusCode).toBe(409);
    const notIsp = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/adm/certificates',
      headers: { authorization: `Bearer ${admin}` },
      payload: { fingerprintSha256: fingerprintOf(tls.rogue.cert) },
    });
    expect(notIsp.json()).toMatchObject({ error: { code: 'MOD_ERR_API_ROLE_NOT_FOR_TENANT' } });
  });
  afterAll(async () => world?.close());

  function get(
    path: string,
    client?: { key: Buffer; cert: Buffer },
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, url),
        { ca: tls.server.cert, ...(client ?? {}), servername: 'localhost' },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('authenticates a CA-signed client certificate mapped to an ISP, and nothing else', async () => {
    const ok = await get('/v1/me', tls.client);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({
      tenantId: 'isp-tls',
      role: 'isp',
      credential: 'client-certificate',
      credentialId: certificateId,
    });
    expect((await get('/v1/me')).status).toBe(401);
    // Same subject, not signed by the client CA: the TLS layer does not verify it, so it maps to nothing.
    expect((await get('/v1/me', tls.rogue)).status).toBe(401);
    // Role checks apply as to keys.
    expect((await get('/v1/admin/tenants', tls.client)).status).toBe(403);
  });

  it('stops authenticating a revoked or expired certificate', async () => {
    const db = world.db.pool;
    const fp = fingerprintOf(tls.client.cert);
    const now = new Date();
    expect(await verifyClientCertificate(db, fp, now)).toMatchObject({ ok: true });
    await revokeClientCertificate(db, certificateId, now);
    expect(await verifyClientCertificate(db, fp, now)).toEqual({ ok: false, reason: 'revoked' });
    expect((await get('/v1/me', tls.client)).status).toBe(401);
    const rogue = await registerClientCertificate(db, {
      tenantId: 'isp-tls',
      fingerprintSha256: normaliseFingerprint(fingerprintOf(tls.rogue.cert))!,
      role: 'isp',
      expiresAt: new Date(now.getTime() - 1000),
    });
    expect(rogue).not.toBeNull();
    expect(await verifyClientCertificate(db, fingerprintOf(tls.rogue.cert), now)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await verifyClientCertificate(db, 'zz', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verifyClientCertificate(db, 'ab'.repeat(32), now)).toEqual({ ok: false, reason: 'unknown' });
  });
});
