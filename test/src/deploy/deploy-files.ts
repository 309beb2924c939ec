import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { actionerSpec } from '@mod/actioner';
import { apiSpec } from '@mod/api';
import { classifierSpec } from '@mod/classifier-service';
import { databaseSpec, kafkaSpec, type EnvField } from '@mod/config';
import { ServiceRoles, type ServiceRole } from '@mod/contracts';
import { fetcherSpec } from '@mod/fetcher';
import { scannerSpec } from '@mod/scanner';

/** Shared by the tests of deploy/: where the files are, what each role's configuration accepts. */

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const deployDir = join(repoRoot, 'deploy');

export type Spec = Readonly<Record<string, EnvField<unknown>>>;

/**
 * Every environment variable a role reads (its validated config spec). `kafka-setup` runs `modctl kafka setup` as
 * the admin principal; its environment also serves `modctl kafka partner grant`, which reads the database.
 */
export const specs: Readonly<Record<ServiceRole | 'kafka-setup', Spec>> = {
  api: apiSpec,
  scanner: scannerSpec,
  classifier: classifierSpec,
  actioner: actionerSpec,
  fetcher: fetcherSpec,
  'kafka-setup': { ...kafkaSpec, ...databaseSpec },
};
export const roles: readonly ServiceRole[] = ServiceRoles;

/** Variables a deployment must set: the spec gives them no default. */
export const requiredKeys = (spec: Spec): string[] =>
  Object.keys(spec).filter((key) => spec[key]?.defaultValue === undefined);

/**
 * The variables a deployment gives a service (`keys`) against its config spec: those the service does not know
 * (a typo, or a setting it lost), and the required ones it is not given. Both empty: the service starts.
 */
export const settingsAgainstSpec = (spec: Spec, keys: readonly string[]) => ({
  unknown: keys.filter((key) => !(key in spec)),
  missing: requiredKeys(spec).filter((key) => !keys.includes(key)),
});

/**
 * Variables that must come from a secret store, never from a literal or a ConfigMap: those the spec marks secret,
 * and the principal's user name that goes with its password.
 */
export const credentialKeys = (spec: Spec): string[] =>
  Object.keys(spec).filter((key) => spec[key]?.secret === true || key === 'KAFKA_SASL_USERNAME');

/** All YAML documents of a text (merge keys `<<` applied, as compose and Kubernetes read them). */
export function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text, { merge: true })
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

/** `KEY=value` lines of an env file (compose's format as init-secrets.sh writes it). */
export function envFileKeys(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) entries.set(m[1], m[2]);
  }
  return entries;
}

/** A tool on PATH answers `--version` (or the given argument). */
export function hasTool(command: string, versionArg = '--version'): boolean {
  try {
    execFileSync(command, [versionArg], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Helm: `MOD_HELM_BIN`, or the one `deploy/local/lib.sh` `ensure_deploy_tools` puts in .tools/ (of this checkout
 * or of the repository `MOD_DATA_DIR` belongs to), or `helm` on PATH. Undefined when there is none.
 */
export function findHelm(): string | undefined {
  const dataDir = process.env['MOD_DATA_DIR'];
  const candidates = [
    process.env['MOD_HELM_BIN'],
    join(repoRoot, '.tools/helm-v4.1.4/helm'),
    dataDir === undefined ? undefined : join(dataDir, '../.tools/helm-v4.1.4/helm'),
  ];
  for (const candidate of candidates) if (candidate !== undefined && existsSync(candidate)) return candidate;
  return hasTool('helm', 'version') ? 'helm' : undefined;
}

export const readDeployFile = (path: string): string => readFileSync(join(deployDir, path), 'utf8');

/** A plain object (YAML mapping), or an empty one for anything else: keeps the tests' navigation typed. */
export function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export const str = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
