import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web console (`services/console`, a static build) served under `/console`, same origin as the API it calls.
 *
 * - Only files of the build are served: the directory is read once, at start-up, into a table of URL path →
 *   bytes, so no request path ever reaches the file system (no traversal to guard against).
 * - Content-Security-Policy allows this origin only: no inline script or style, no third-party origin, network
 *   access (`connect-src`) to this origin alone; images also from `data:` and `blob:` (previews the console
 *   fetches and shows). The console has no inline script: Vite emits the entry as a module file.
 * - Hashed assets (`assets/<name>-<hash>.<ext>`) are immutable for a year; `index.html` and every other file are
 *   revalidated each time (`no-cache`, with an ETag), so a new build is seen at once.
 * - Any other path under `/console/` that names no file (no extension) answers `index.html`: the console routes
 *   in the browser (history API). A missing asset stays a 404, never HTML in place of a script.
 * - Without a build (the console not built: `pnpm build`), every console path answers 503.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Where the console build is in this repository, relative to the API's compiled files. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
/** Types worth compressing (images and fonts are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt']);
/** Vite's hashed file names: `<name>-<8 or more base64url characters>.<ext>` under `assets/`. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
/** Largest build accepted, bytes: the console is small; anything bigger is not what this plugin expects. */
const MAX_BUILD_BYTES = 64 * 1024 * 1024;

interface ConsoleFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  immutable: boolean;
}

/** Reads a console build into memory (null when there is none: no `index.html`). */
export function loadConsoleBuild(dir: string): Map<string, ConsoleFile> | null {
  const files = new Map<string, ConsoleFile>();
  let total = 0;
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const name = relative(dir, path).split(sep).join('/');
        const type = TYPES[extname(name)];
        // Only types a browser needs; source maps and build reports stay on disk.
        if (type === undefined) continue;
        total += statSync(path).size;
        if (total > MAX_BUILD_BYTES)
          throw new Error(`console build in ${dir} exceeds ${MAX_BUILD_BYTES} bytes`);
        const body = readFileSync(path);
        const gzip =
          COMPRESSIBLE.has(extname(name)) && body.length > 512 ? gzipSync(body, { level: 9 }) : null;
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        files.set(name, { body, gzip, type, etag, immutable: HASHED_ASSET.test(name) });
      }
    }
  };
  try {
    if (!statSync(join(dir, 'index.html')).isFile()) return null;
  } catch {
    return null;
  }
  walk(dir);
  return files;
}

export interface ConsoleRouteOptions {
  /** The console build (`services/console/dist`). Default `DEFAULT_CONSOLE_DIR`. */
  dir?: string;
}

/** Registers `GET /console` and `GET /console/*` (public: the console signs people in itself). */
export async function consoleRoutes(app: FastifyInstance, opts: ConsoleRouteOptions): Promise<void> {
  const dir = opts.dir ?? DEFAULT_CONSOLE_DIR;
  const files = loadConsoleBuild(dir);
  if (files === null) app.log.warn({ dir }, 'console not built (pnpm build): /console answers 503');
  else app.log.info({ dir, files: files.size }, 'console build loaded');

  // How long each answer may be kept; the app's own onSend hook sets `no-store` on everything, so this plugin's
  // hook (a parent's hooks run first) puts the console's caching back, with the console's page policy.
  const caching = new WeakMap<FastifyReply, string>();
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cache-control', reply.statusCode < 400 ? (caching.get(reply) ?? 'no-store') : 'no-store');
  });

  const serve = async (req: FastifyRequest, reply: FastifyReply, path: string) => {
    if (files === null)
      return reply.code(503).send({
        error: { code: 'MOD_ERR_API_UNAVAILABLE', message: 'the console is not built (pnpm build)' },
      });
    const exact = path === 'index.html' ? undefined : files.get(path);
    // A path without an extension is a page of the console: its shell answers, the browser routes.
    const file = exact ?? (extname(path) === '' ? files.get('index.html') : undefined);
    if (file === undefined)
      return reply.code(404).send({ error: { code: 'MOD_ERR_API_NO_ROUTE', message: 'no such file' } });
    reply.header('etag', file.etag);
    reply.header('vary', 'accept-encoding');
    caching.set(reply, file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.type(file.type);
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    const acceptsGzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (file.gzip !== null && acceptsGzip) {
      reply.header('content-encoding', 'gzip');
      return reply.send(file.gzip);
    }
    return reply.send(file.body);
  };

  const route = { config: { public: true as const }, schema: { hide: true } };
  app.get('/console', route, (req, reply) => serve(req, reply, ''));
  app.get('/console/*', route, (req, reply) =>
    serve(req, reply, (req.params as { '*'?: string })['*'] ?? ''),
  );
}
