import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { migrationsDir } from '@mod/db';
import { classifierSpec } from '@mod/classifier-service';
import {
  credentialKeys,
  deployDir,
  hasTool,
  readDeployFile,
  repoRoot,
  roles,
  specs,
} from './deploy-files.js';
import { imageReachability } from './image-reachability.js';
import { shippedTestSupport } from './image-test-support.js';

// deploy/container: the one image (Dockerfile) and its entry point. Building the image needs a container engine,
// which this machine has not; these tests check what can be checked without one (deploy/README.md).

const dockerfileText = readDeployFile('container/Dockerfile');
const dockerfile = DockerfileParser.parse(dockerfileText);
const entrypoint = join(deployDir, 'container/entrypoint.sh');
const entrypointText = readFileSync(entrypoint, 'utf8');
const froms = dockerfile.getFROMs();
const runtimeFrom = froms.at(-1);
const runtimeStart = runtimeFrom?.getRange().start.line ?? 0;
const runtime = dockerfile.getInstructions().filter((i) => i.getRange().start.line > runtimeStart);
const args = (i: Instruction): string[] => i.getArguments().map((a) => a.getValue());

/** Runs the entry point as the image would, on this checkout's built workspace instead of /app. */
function runEntrypoint(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('sh', [entrypoint, ...argv], {
    // Only what a container would get from the image: no Kafka credentials from the test environment.
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', MOD_APP_DIR: repoRoot },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('Dockerfile', () => {
  it('has no problem the Dockerfile validator (dockerfile-utils) reports', () => {
    expect(validate(dockerfileText)).toEqual([]);
  });

  it('builds and runs on the Node.js the project pins, in a build stage and a separate runtime stage', () => {
    const pinned = readFileSync(join(repoRoot, '.node-version'), 'utf8').trim();
    const nodeVersion = dockerfile
      .getInitialARGs()
      .find((arg) => arg.getProperty()?.getName() === 'NODE_VERSION')
      ?.getProperty()
      ?.getValue();
    expect(nodeVersion).toBe(pinned);
    expect(froms.map((f) => [f.getImageName(), f.getImageTag(), f.getBuildStage()])).toEqual([
      ['node', '${NODE_VERSION}-bookworm-slim', 'build'],
      ['node', '${NODE_VERSION}-bookworm-slim', 'runtime'],
    ]);
    // The runtime stage takes files from the build stage only, never the sources or the build tools.
    const copies = runtime.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getTextContent());
    expect(copies).toEqual([
      'COPY --from=build /out /app',
      'COPY deploy/container/entrypoint.sh /app/entrypoint.sh',
    ]);
  });

  it('runs as a numeric non-root user, with no NODE_ENV, no secret and no health check baked in', () => {
    const users = runtime.filter((i) => i.getKeyword() === 'USER').map((i) => i.getArgumentsContent());
    expect(users).toEqual(['1000:1000']);
    const envNames = dockerfile
      .getENVs()
      .flatMap((env) => env.getProperties().map((p) => p.getName()))
      .sort();
    expect(envNames).toEqual(['API_HOST', 'OPS_HOST']);
    const secretNames = new Set(Object.values(specs).flatMap((spec) => credentialKeys(spec)));
    expect(envNames.filter((name) => secretNames.has(name))).toEqual([]);
    expect(dockerfile.getHEALTHCHECKs()).toEqual([]);
    expect(dockerfile.getENTRYPOINTs().map(args)).toEqual([['["/app/entrypoint.sh"]']]);
  });

  it('ships what runs: each role, the migrations and the models, where the code looks for them', () => {
    // The workspace layout is kept in /app, so paths the code derives from its own location hold there too.
    expect(classifierSpec.MODELS_DIR.defaultValue).toBe(join(repoRoot, 'models'));
    expect(migrationsDir).toBe(join(repoRoot, 'packages/db/migrations/'));
    expect(dockerfileText).toContain('cp -a package.json node_modules models /out/');
    expect(dockerfileText).toContain('cp -a packages/db/migrations /out/packages/db/');
    for (const role of roles) {
      expect(dockerfileText).toContain(`services/${role}`);
      expect(dockerfileText).toContain(`--filter './services/${role}'`);
    }
    expect(dockerfileText).toContain(
      'tsc -b packages/cli services/api services/scanner services/classifier services/actioner services/fetcher',
    );
  });

  it("ships no test support: the packages' ./testing subpaths are built to dist/testing, which it deletes", async () => {
    expect(dockerfileText).toContain('rm -rf /out/packages/*/dist/testing');
    const packagesDir = join(repoRoot, 'packages');
    const inDistTesting: string[] = [];
    for (const name of readdirSync(packagesDir)) {
      const manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as {
        exports?: Record<string, { default: string }>;
      };
      // Only a test-support subpath may point there: the image has no dist/testing.
      for (const [subpath, { default: file }] of Object.entries(manifest.exports ?? {}))
        if (file.startsWith('./dist/testing/')) inDistTesting.push(`${name} ${subpath}`);
      // What the image keeps holds no test task (the tasks that crash their workers on purpose).
      const dist = join(packagesDir, name, 'dist');
      const kept = existsSync(dist) ? readdirSync(dist, { recursive: true, encoding: 'utf8' }) : [];
      expect(kept.filter((file) => !file.startsWith('testing') && /heap-hungry/.test(file))).toEqual([]);
    }
    expect(inDistTesting.sort()).toEqual(['classifier ./testing', 'hashing ./testing']);
    // Nor do the entry points a service loads name them.
    const entries = [
      await import('@mod/hashing'),
      (await import(pathToFileURL(join(packagesDir, 'classifier/dist/index.js')).href)) as object,
    ];
    expect(
      entries.flatMap((entry) => Object.keys(entry)).filter((key) => /heapHungry|exhaustHeap/.test(key)),
    ).toEqual([]);
  });

  it('ships no compiled test support of any package or service: the Dockerfile deletes every such file', () => {
    // Named as such (*.test-helper.*, testing/), a ./testing subpath's target, @mod/testing, or importing any of
    // these; none of it may be in the image (a runtime file importing one would be test support too, and flagged).
    expect(shippedTestSupport(dockerfileText)).toEqual([]);
  });

  it('ships no code that nothing running reaches: every shipped source is imported from a runtime entry point', () => {
    // Entry points: the roles entrypoint.sh starts, each shipped project's main, bin and exports but ./testing, and
    // the worker files they load by path. What none of them reaches is test support not named so, or dead code.
    const { unreachable, unresolved } = imageReachability(dockerfileText, entrypointText);
    expect(unresolved).toEqual([]);
    expect(unreachable).toEqual([]);
  });

  it('keeps local state, credentials and build output out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of [
      '.data',
      '.tools',
      '.git',
      '**/node_modules',
      '**/dist',
      '.env',
      'deploy/compose/secrets',
    ])
      expect(ignored).toContain(entry);
  });
});

describe('entrypoint.sh', () => {
  const paths = [...entrypointText.matchAll(/"\$app\/([^"]+\.js)"/g)].map((m) => m[1] ?? '');

  it('starts each role from a file the workspace build produces', () => {
    expect(paths.sort()).toEqual(
      [...roles.map((role) => `services/${role}/dist/main.js`), 'packages/cli/dist/main.js'].sort(),
    );
    for (const path of paths) expect(existsSync(join(repoRoot, path)), path).toBe(true);
  });

  it.each(roles)('starts %s, which validates its configuration from the environment', (role) => {
    // Without its principal the service refuses to start, naming every missing variable: proof that the
    // entry point ran this role's own main and config validation, with nothing configured by the image.
    const { status, stderr } = runEntrypoint([role]);
    expect(status).not.toBe(0);
    expect(stderr).toContain('KAFKA_SASL_USERNAME');
    expect(stderr).toContain('KAFKA_SASL_PASSWORD');
  });

  it('runs modctl for jobs, and says how to use it otherwise', () => {
    const help = runEntrypoint(['modctl', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout + help.stderr).toContain('usage: modctl');
    const acls = runEntrypoint(['modctl', 'kafka', 'acls']);
    expect(acls.status).toBe(0);
    expect(acls.stdout).toContain('"principal":"User:mod-scanner"');
    expect(runEntrypoint(['--help']).status).toBe(0);
    const unknown = runEntrypoint(['migrate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown role: migrate');
  });

  it('gives each service, the API too, the ops port the compose file and the chart use', () => {
    expect(entrypointText).toMatch(/api\)\n(\s+#.*\n)?\s+export OPS_PORT="\$\{OPS_PORT:-9105\}"/);
    expect(entrypointText).toMatch(/scanner\)\n\s+export OPS_PORT="\$\{OPS_PORT:-9101\}"/);
    expect(entrypointText).toMatch(/actioner\)\n\s+export OPS_PORT="\$\{OPS_PORT:-9102\}"/);
    expect(entrypointText).toMatch(/fetcher\)\n\s+export OPS_PORT="\$\{OPS_PORT:-9103\}"/);
    expect(entrypointText).toMatch(/classifier\)\n\s+export OPS_PORT="\$\{OPS_PORT:-9104\}"/);
  });
});

describe('shell scripts of deploy/container and deploy/compose', () => {
  const scripts = [
    'container/entrypoint.sh',
    'compose/init-secrets.sh',
    'compose/kafka/start.sh',
    'compose/postgres/init.sh',
  ];
  const shellcheck = hasTool('shellcheck');

  it.each(scripts)('%s parses', (script) => {
    const shell = readDeployFile(script).startsWith('#!/bin/sh') ? 'sh' : 'bash';
    expect(() => execFileSync(shell, ['-n', join(deployDir, script)], { stdio: 'pipe' })).not.toThrow();
  });

  it.skipIf(!shellcheck)('passes shellcheck', () => {
    const files = scripts.map((script) => join(deployDir, script));
    expect(execFileSync('shellcheck', ['--format=gcc', ...files], { encoding: 'utf8' })).toBe('');
  });

  it.runIf(!shellcheck)(
    'shellcheck is not installed (apt-get install shellcheck): script lint skipped',
    () => {
      expect(shellcheck).toBe(false);
    },
  );
});
