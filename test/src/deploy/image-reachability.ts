import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './deploy-files.js';
import { imageContents, sourceFiles } from './image-test-support.js';

// Which of the code the image (deploy/container/Dockerfile) ships can run at all: the import graph of the shipped
// sources from what starts or loads them. A shipped file no runtime entry point reaches is test support not named
// as such, or dead code; either way it only widens what the image exposes. Worked out from the sources, as
// image-test-support.ts is (each project compiles src/<path>.ts to dist/<path>.js).

type ExportTarget = string | null | ExportTarget[] | { [condition: string]: ExportTarget };
interface Manifest {
  name?: string;
  main?: string;
  bin?: string | Record<string, string>;
  exports?: ExportTarget;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every workspace project by package name (packages/*, services/*), for `@scope/name[/subpath]` imports. */
function workspaceProjects(): Map<string, { dir: string; manifest: Manifest }> {
  const projects = new Map<string, { dir: string; manifest: Manifest }>();
  for (const parent of ['packages', 'services'])
    for (const name of readdirSync(join(repoRoot, parent))) {
      const dir = posix.join(parent, name);
      if (!existsSync(join(repoRoot, dir, 'package.json'))) continue;
      const manifest = readManifest(dir);
      if (manifest.name !== undefined) projects.set(manifest.name, { dir, manifest });
    }
  return projects;
}

/** The files an export target names, every condition's (types excepted: a declaration is no code). */
function targetFiles(target: ExportTarget | undefined): string[] {
  if (target === null || target === undefined) return [];
  if (typeof target === 'string') return [target];
  if (Array.isArray(target)) return target.flatMap(targetFiles);
  return Object.entries(target).flatMap(([condition, t]) => (condition === 'types' ? [] : targetFiles(t)));
}

/** `exports` as subpath → target (a bare target or a conditions object is the `.` subpath). */
function exportMap(manifest: Manifest): Record<string, ExportTarget> {
  const { exports } = manifest;
  if (exports === undefined) return {};
  if (typeof exports === 'string' || exports === null || Array.isArray(exports)) return { '.': exports };
  return Object.keys(exports).some((key) => key.startsWith('.')) ? exports : { '.': exports };
}

/** The source (project/src/path.ts) a compiled file of the project (`./dist/path.js`) comes from. */
function sourceOf(dir: string, file: string): string {
  return posix.join(
    dir,
    posix
      .normalize(file)
      .replace(/(^|\/)dist\//, '$1src/')
      .replace(/\.js$/, '.ts'),
  );
}

/**
 * A project's entry points: `main`, `bin` and its main export (`.`). A subpath export (`./pool`, `./task`) is no
 * entry point of its own: it counts when shipped code imports it or loads it by path, so that a subpath only tests
 * import (test support under another name than `./testing`) is found.
 */
function manifestEntries(dir: string, manifest: Manifest): string[] {
  const files = [
    ...(manifest.main === undefined ? [] : [manifest.main]),
    ...(typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {})),
    ...targetFiles(exportMap(manifest)['.']),
  ];
  return files.map((file) => sourceOf(dir, file));
}

/** A worker or task file loaded by path: `new URL('./task.js', import.meta.url)` (Piscina's filename). */
const loadedByUrl = /new\s+URL\(\s*(['"`])(\.{1,2}\/[^'"`$]+\.js)\1\s*,\s*import\.meta\.url\s*\)/g;

/** What a source imports (static, type-only, re-exports, dynamic `import()`), and the files it loads by URL. */
function specifiersOf(text: string): string[] {
  const imports = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  return [...imports, ...[...text.matchAll(loadedByUrl)].map((m) => m[2] ?? '')];
}

export interface Reachability {
  /** Shipped sources (project/src/path.ts) that no runtime entry point reaches. */
  unreachable: string[];
  /** Imports of the shipped code this check cannot resolve to a source: `file → specifier`. */
  unresolved: string[];
}

/**
 * The shipped sources of the image that no runtime entry point reaches: the roles entrypoint.sh starts, and each
 * shipped project's main, bin and main export, through relative imports, workspace packages and their subpath
 * exports, dynamic imports and the worker files loaded by URL.
 */
export function imageReachability(dockerfile: string, entrypoint: string): Reachability {
  const { dirs, ships } = imageContents(dockerfile);
  const shipped = new Set<string>();
  for (const dir of dirs)
    for (const file of sourceFiles(join(repoRoot, dir, 'src'))) {
      const path = posix.join(dir, 'src', file.split('\\').join('/'));
      if (ships(path.replace('/src/', '/dist/').replace(/\.ts$/, '.js'))) shipped.add(path);
    }
  const projects = workspaceProjects();
  const roots = [
    ...[...entrypoint.matchAll(/"\$app\/([^"]+\.js)"/g)].map((m) => sourceOf('', m[1] ?? '')),
    ...dirs.flatMap((dir) => manifestEntries(dir, readManifest(dir))),
  ];
  const unresolved: string[] = [];
  const resolve = (from: string, spec: string): string | undefined => {
    if (spec.startsWith('.')) {
      if (!spec.endsWith('.js')) return undefined; // JSON and the like: no code of ours
      return posix.join(posix.dirname(from), spec).replace(/\.js$/, '.ts');
    }
    const [scope = '', name = '', ...rest] = spec.split('/');
    const project = projects.get(`${scope}/${name}`);
    if (!scope.startsWith('@') || project === undefined) return undefined; // node: or a dependency
    const target = exportMap(project.manifest)[['.', ...rest].join('/')];
    const file = targetFiles(target)[0];
    return file === undefined ? file : sourceOf(project.dir, file);
  };
  const reached = new Set<string>();
  const queue = [...roots];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    if (reached.has(path)) continue;
    reached.add(path);
    if (!existsSync(join(repoRoot, path))) {
      unresolved.push(`${path} (an entry point or import with no source)`);
      continue;
    }
    // What the image does not ship (test support, @mod/testing) runs nothing there: its imports reach nothing.
    if (!shipped.has(path)) continue;
    for (const spec of specifiersOf(readFileSync(join(repoRoot, path), 'utf8'))) {
      const next = resolve(path, spec);
      if (next !== undefined) queue.push(next);
      else if (projects.has(spec.split('/').slice(0, 2).join('/'))) unresolved.push(`${path} → ${spec}`);
    }
  }
  return {
    unreachable: [...shipped].filter((path) => !reached.has(path)).sort(),
    unresolved: unresolved.sort(),
  };
}
