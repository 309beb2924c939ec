import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Prints each emitted file's size and gzip size, and the totals, after the build (Vite's own report lists them
 * too; this one ends with the total a browser downloads, and writes it to dist/bundle-sizes.json for CI logs).
 */
function bundleSizes(): Plugin {
  return {
    name: 'mod-bundle-sizes',
    apply: 'build',
    generateBundle(_options, bundle) {
      const rows = Object.values(bundle)
        .filter((f) => !f.fileName.endsWith('.map'))
        .map((f) => {
          const bytes = Buffer.from(f.type === 'chunk' ? f.code : f.source);
          return { file: f.fileName, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
        })
        .sort((a, b) => b.gzipBytes - a.gzipBytes);
      const total = rows.reduce(
        (t, r) => ({ bytes: t.bytes + r.bytes, gzipBytes: t.gzipBytes + r.gzipBytes }),
        {
          bytes: 0,
          gzipBytes: 0,
        },
      );
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const lines = rows.map(
        (r) => `  ${r.file.padEnd(44)} ${kib(r.bytes).padStart(10)}  gzip ${kib(r.gzipBytes)}`,
      );
      lines.push(`  ${'total'.padEnd(44)} ${kib(total.bytes).padStart(10)}  gzip ${kib(total.gzipBytes)}`);
      this.info(`bundle sizes:\n${lines.join('\n')}`);
      this.emitFile({
        type: 'asset',
        fileName: 'bundle-sizes.json',
        source: `${JSON.stringify({ files: rows, total }, null, 2)}\n`,
      });
    },
  };
}

// Served by the API under /console (same origin). No inline script or style anywhere (the API's
// Content-Security-Policy forbids them), no assets inlined as data: URLs, no module-preload polyfill.
export default defineConfig({
  base: '/console/',
  plugins: [bundleSizes()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
  },
});
