import { commonSpec, env } from '@mod/config';

export const apiSpec = {
  ...commonSpec,
  API_HOST: env.string({ default: '127.0.0.1', doc: 'address the API listens on' }),
  API_PORT: env.integer({ default: 8080, min: 0, max: 65535, doc: 'port the API listens on' }),
  MAX_UPLOAD_BYTES: env.integer({ default: 12 * 1024 * 1024, min: 1024, doc: 'largest media upload, bytes' }),
  API_MAX_BODY_BYTES: env.integer({ default: 256 * 1024, min: 1024, doc: 'largest JSON body, bytes' }),
  API_REQUEST_TIMEOUT_MS: env.integer({ default: 30_000, min: 0, doc: 'request deadline, ms (0: none)' }),
  API_RATE_LIMIT_PER_S: env.number({
    default: 20,
    min: 0.001,
    doc: 'sustained requests per second per credential',
  }),
  API_RATE_LIMIT_BURST: env.integer({ default: 100, min: 1, doc: 'request burst per credential' }),
  API_TLS_CERT_PATH: env.string({
    default: '',
    doc: 'TLS certificate (PEM) for the listener; empty: plain HTTP',
  }),
  API_TLS_KEY_PATH: env.string({ default: '', doc: 'TLS private key (PEM) for the listener' }),
  API_TLS_CLIENT_CA_PATH: env.string({
    default: '',
    doc: 'CA (PEM) of ISP client certificates; set: mTLS, verified certificates mapped to tenants authenticate',
  }),
  MOD_AUDIT_SIGNING_KEY_PEM: env.string({
    default: '',
    secret: true,
    doc: 'Ed25519 private key (PKCS#8 PEM, \\n escapes allowed) that signs audit tree heads; empty: no signing',
  }),
  AUDIT_TRUSTED_PUBLIC_KEYS_PEM: env.string({
    default: '',
    doc: 'older audit public keys (SPKI PEM blocks, concatenated) still trusted after a key rotation',
  }),
  AUDIT_SIGN_EVERY_RECORDS: env.integer({
    default: 1000,
    min: 1,
    doc: 'sign an audit tree head after this many records',
  }),
  AUDIT_SIGN_EVERY_MS: env.integer({
    default: 10_000,
    min: 10,
    doc: 'or after this many ms, if records arrived',
  }),
} as const;
