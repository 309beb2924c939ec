import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, posix } from 'node:path';
import { repoRoot } from './deploy-files.js';

// What of the workspace's compiled code the image (deploy/container/Dockerfile) ships, and which of it is test
// support. Worked out from the sources (each project compiles src/<path>.ts to dist/<path>.js), so that a stale file
// left in a checkout's dist by a rename does not count.

/** A glob of the Dockerfile (`*` within one path segment) as a regular expression. */
function globPattern(glob: string, anchored: 'name' | 'path'): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  // A path removed with rm -rf takes what is under it.
  return new RegExp(anchored === 'name' ? `^${body}$` : `^${body}(/|$)`);
}

/** The directories the image copies the dist of, the names `find` deletes in them and the paths it removes. */
function imageRules(dockerfile: string): { dirs: string[]; names: RegExp[]; removed: RegExp[] } {
  const loop = /for dir in ([^;]+); do/.exec(dockerfile)?.[1] ?? '';
  const dirs = loop
    .trim()
    .split(/\s+/)
    .flatMap((dir) =>
      dir.endsWith('/*')
        ? readdirSync(join(repoRoot, dir.slice(0, -2))).map((name) => posix.join(dir.slice(0, -2), name))
        : [dir],
    );
  const names = [...dockerfile.matchAll(/-name '([^']+)'/g)].map((m) => globPattern(m[1] ?? '', 'name'));
  const removed = [...dockerfile.matchAll(/rm -rf ((?:\/out\/\S+\s*)+)/g)].flatMap((m) =>
    (m[1] ?? '')
      .trim()
      .split(/\s+/)
      .map((path) => globPattern(path.replace(/^\/out\//, ''), 'path')),
  );
  return { dirs, names, removed };
}

/** The projects the image ships the dist of, and whether a compiled file of theirs (project/dist/path) stays in it. */
export function imageContents(dockerfile: string): { dirs: string[]; ships: (distPath: string) => boolean } {
  const { dirs, names, removed } = imageRules(dockerfile);
  const ships = (distPath: string): boolean =>
    !names.some((name) => name.test(posix.basename(distPath))) &&
    !removed.some((path) => path.test(distPath));
  return { dirs, ships };
}

/** The TypeScript sources of a project's src (paths relative to it); each compiles to dist/<path>.js. */
export function sourceFiles(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
        (f) => f.endsWith('.ts') && !f.endsWith('.d.ts'),
      )
    : [];
}

/** Named as tests or their support: a.test.ts, a.test-helper.ts, a.test-worker.ts, testing/, test-helpers.ts. */
const testName = /(^|[/.-])(test|testing|test-helpers?|test-worker)([/.-]|$)/;
/** Imports that only tests resolve: the test runner, @mod/testing, a package's ./testing subpaths. */
const testImport = /^(vitest(\/|$)|@vitest\/|@mod\/testing$|@mod\/[^/]+\/testing(\/|$))/;

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g)].map((m) => m[1] ?? '');
}

/**
 * The compiled files of the shipped projects that are test support (named so, a ./testing subpath's target, all of
 * @mod/testing, or importing test support, directly or not) and that the image still ships, as project/dist/path.
 */
export function shippedTestSupport(dockerfile: string): string[] {
  const { dirs, ships } = imageContents(dockerfile);
  const sources = new Map<string, string>(); // project/src/path.ts → its text
  const support = new Set<string>();
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as {
      exports?: Record<string, { default?: string }>;
    };
    const testingTargets = Object.entries(manifest.exports ?? {})
      .filter(([subpath]) => /(^|\/)testing(\/|$)/.test(subpath))
      .map(([, target]) =>
        posix.join(dir, (target.default ?? '').replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
      );
    for (const file of sourceFiles(join(repoRoot, dir, 'src'))) {
      const path = posix.join(dir, 'src', file);
      sources.set(path, readFileSync(join(repoRoot, path), 'utf8'));
      if (testName.test(file) || dir === 'packages/testing' || testingTargets.includes(path))
        support.add(path);
    }
  }
  // Whatever imports test support is test support too: to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [path, text] of sources) {
      if (support.has(path)) continue;
      const imported = importsOf(text).some(
        (spec) =>
          testImport.test(spec) ||
          (spec.startsWith('.') && support.has(normalize(join(dirname(path), spec)).replace(/\.js$/, '.ts'))),
      );
      if (imported) {
        support.add(path);
        grew = true;
      }
    }
  }
  return [...support]
    .map((path) => path.replace('/src/', '/dist/').replace(/\.ts$/, '.js'))
    .filter(ships)
    .sort();
}
