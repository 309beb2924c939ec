import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { ConfigError } from '@mod/config';

/** Where the listener's TLS material lives; empty paths mean "not configured". */
export interface TlsPaths {
  certPath: string;
  keyPath: string;
  /** CA that signs ISP client certificates; set: the listener asks for one (mTLS) and maps verified ones. */
  clientCaPath: string;
}

/**
 * TLS options for `buildApp({ tls })`, or undefined for plain HTTP (behind a terminating proxy); settings that do
 * not go together are a `ConfigError` (MOD_ERR_CONFIG_INVALID), as those `loadConfig` refuses. A client
 * certificate is requested but not required: clients without one still authenticate with API keys, and a
 * certificate the CA did not sign never authenticates (`authorized` is false).
 */
export function tlsOptions(paths: TlsPaths): ServerOptions | undefined {
  if (paths.certPath === '' && paths.keyPath === '') {
    // Client certificates need a TLS listener: without one the API would serve plain HTTP, keys in the clear.
    if (paths.clientCaPath !== '')
      throw new ConfigError([
        'API_TLS_CLIENT_CA_PATH needs API_TLS_CERT_PATH and API_TLS_KEY_PATH (client certificates need TLS)',
      ]);
    return undefined;
  }
  if (paths.certPath === '' || paths.keyPath === '')
    throw new ConfigError(['API_TLS_CERT_PATH and API_TLS_KEY_PATH must be set together']);
  const base: ServerOptions = {
    cert: readFileSync(paths.certPath),
    key: readFileSync(paths.keyPath),
    minVersion: 'TLSv1.2',
  };
  if (paths.clientCaPath === '') return base;
  return { ...base, ca: readFileSync(paths.clientCaPath), requestCert: true, rejectUnauthorized: false };
}
