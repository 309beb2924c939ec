import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { deployDir, findHelm, list, obj, str, yamlDocuments } from './deploy-files.js';

/** deploy/helm/moderation as the real Helm renders it: shared by the chart's test files. */

export const helm = findHelm();
export const chart = join(deployDir, 'helm/moderation');

export type Manifest = Record<string, unknown>;
export const name = (m: Manifest): string => str(obj(m['metadata'])['name']);
export const ofKind = (manifests: Manifest[], kind: string): Manifest[] =>
  manifests.filter((m) => m['kind'] === kind);

/**
 * The pod a rendered Deployment or Job runs (its `spec.template`): the pod's metadata, its spec and its container
 * (every workload of the chart has one).
 */
export function podOf(workload: Manifest): { metadata: Manifest; spec: Manifest; container: Manifest } {
  const template = obj(obj(workload['spec'])['template']);
  const spec = obj(template['spec']);
  return { metadata: obj(template['metadata']), spec, container: obj(list(spec['containers'])[0]) };
}

/**
 * The environment the workload's container gets, with its source: the data of the ConfigMaps it names (envFrom,
 * found in `manifests`), literal env values and Secret references.
 */
export function containerEnv(manifests: Manifest[], workload: Manifest) {
  const c = podOf(workload).container;
  const fromConfig = new Map<string, string>();
  for (const source of list(c['envFrom'])) {
    const ref = str(obj(obj(source)['configMapRef'])['name']);
    const configMap = ofKind(manifests, 'ConfigMap').find((m) => name(m) === ref);
    expect(configMap, `ConfigMap ${ref}`).toBeDefined();
    for (const [key, value] of Object.entries(obj(configMap?.['data']))) fromConfig.set(key, str(value));
  }
  const literal = new Map<string, string>();
  const fromSecret = new Map<string, { name: string; key: string }>();
  for (const entry of list(c['env']).map(obj)) {
    const ref = obj(obj(entry['valueFrom'])['secretKeyRef']);
    if ('value' in entry) literal.set(str(entry['name']), str(entry['value']));
    else fromSecret.set(str(entry['name']), { name: str(ref['name']), key: str(ref['key']) });
  }
  return {
    fromConfig,
    literal,
    fromSecret,
    all: [...fromConfig.keys(), ...literal.keys(), ...fromSecret.keys()],
  };
}

export interface HelmRunner {
  run: (args: string[]) => { status: number | null; stdout: string; stderr: string };
  /** `helm template mod <chart> --namespace moderation` with these extra arguments; throws Helm's stderr. */
  template: (args: string[]) => Manifest[];
  /** The chart rendered with these `--set` values. */
  render: (...set: string[]) => Manifest[];
}

/**
 * A runner with its own Helm caches and settings (HELM_*_HOME), removed after the calling file's tests: call at
 * the top level of a test file.
 */
export function useHelm(): HelmRunner {
  const helmHome = mkdtempSync(join(tmpdir(), 'mod-helm-'));
  afterAll(() => rmSync(helmHome, { recursive: true, force: true }));
  const run = (args: string[]) => {
    const result = spawnSync(helm ?? 'helm', args, {
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'] ?? '',
        HELM_CACHE_HOME: join(helmHome, 'cache'),
        HELM_CONFIG_HOME: join(helmHome, 'config'),
        HELM_DATA_HOME: join(helmHome, 'data'),
      },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const template = (args: string[]) => {
    const result = run(['template', 'mod', chart, '--namespace', 'moderation', ...args]);
    if (result.status !== 0) throw new Error(result.stderr);
    return yamlDocuments(result.stdout).map(obj);
  };
  return { run, template, render: (...set) => template(set.flatMap((s) => ['--set', s])) };
}

/**
 * What every pod of the chart must be: non-root (uid 1000) with no service-account token, its container without
 * privilege escalation or capabilities on a read-only root, with CPU and memory requests and limits and a writable
 * /tmp. Answers the container's mount paths, for the caller's own checks of what it writes.
 */
export function expectUnprivileged(pod: Manifest, container: Manifest): string[] {
  expect(obj(pod['securityContext'])).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  expect(pod['automountServiceAccountToken']).toBe(false);
  expect(obj(container['securityContext'])).toEqual({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  });
  const resources = obj(container['resources']);
  for (const kind of ['requests', 'limits'])
    expect(Object.keys(obj(resources[kind])).sort()).toEqual(['cpu', 'memory']);
  const mounts = list(container['volumeMounts']).map((m) => str(obj(m)['mountPath']));
  expect(mounts).toContain('/tmp');
  return mounts;
}
