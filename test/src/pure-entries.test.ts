import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The pure packages' front doors load no I/O: importing `@mod/hashing` must not start a decoder or a thread pool,
// importing `@mod/urls` must not pull in the network. Adapters live behind subpaths (`@mod/hashing/decode`,
// `@mod/hashing/pool`, `@mod/urls/fetch`). Checked on the compiled JavaScript, which is what Node loads: every
// module reachable from the main entry through static and dynamic imports, workspace packages included.

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Packages whose main entry is pure computation. */
const PURE = [
  'contracts',
  'policy',
  'orders',
  'hashing',
  'urls',
  'matcher',
  'audit',
  'config',
  'review',
  'vault',
  'people',
] as const;

/** Modules that do I/O or start threads (with or without the `node:` prefix). */
const FORBIDDEN = new Set([
  'pg',
  'kafkajs',
  '@platformatic/kafka',
  'fastify',
  'sharp',
  'piscina',
  'undici',
  'net',
  'http',
  'https',
  'http2',
  'tls',
  'dns',
  'dns/promises',
  'fs',
  'fs/promises',
  'child_process',
  'worker_threads',
]);

const IMPORT =
  /(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,$]*?\s*from\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The file a `@mod/<name>` specifier (with an optional subpath) loads, from the package's `exports`. */
function workspaceEntry(specifier: string): string {
  const [, name, sub] = /^@mod\/([^/]+)(\/.*)?$/.exec(specifier) ?? [];
  const dir = join(root, 'packages', name ?? '');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    exports: Record<string, { default: string }>;
  };
  const target = pkg.exports[sub === undefined ? '.' : `.${sub}`];
  if (target === undefined) throw new Error(`${specifier} is not exported`);
  return join(dir, target.default);
}

/** Every forbidden import reachable from `entry`, as `file -> module`. */
function forbiddenImports(entry: string): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (spec.startsWith('@mod/')) visit(workspaceEntry(spec));
      else if (FORBIDDEN.has(spec.replace(/^node:/, ''))) found.push(`${file.slice(root.length)} -> ${spec}`);
    }
  };
  visit(entry);
  return found;
}

describe('pure packages', () => {
  it.each(PURE)('@mod/%s: the main entry reaches no I/O module', (name) => {
    const entry = workspaceEntry(`@mod/${name}`);
    expect(existsSync(entry), `${entry} (run pnpm build first)`).toBe(true);
    expect(forbiddenImports(entry)).toEqual([]);
  });

  it('finds the I/O the adapters do import (the check can fail)', () => {
    expect(forbiddenImports(workspaceEntry('@mod/hashing/decode'))).toContain(
      'packages/hashing/dist/decode.js -> sharp',
    );
    expect(forbiddenImports(workspaceEntry('@mod/hashing/pool'))).toContain(
      'packages/hashing/dist/pool.js -> piscina',
    );
    expect(forbiddenImports(workspaceEntry('@mod/urls/fetch')).some((f) => f.endsWith('-> node:http'))).toBe(
      true,
    );
    expect(forbiddenImports(workspaceEntry('@mod/db')).some((f) => f.endsWith('-> pg'))).toBe(true);
  });
});
