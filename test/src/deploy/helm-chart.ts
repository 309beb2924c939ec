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
