import { readFileSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { decodeImage, defaultDecodeLimits, lumaFromRaw, downsampleTo64Js, dct64To16, pdqBitsToHex, pdqQuality, hammingDistanceHex } from './dist/index.js';
const f = Math.fround;
function kernels(n) {
  const window = Math.floor((n + 127) / 128), half = Math.floor((window + 2) / 2);
  const win = (o) => [Math.max(0, o - (window - half)), Math.min(n - 1, o + half - 1)];
  const res = [];
  for (let i = 0; i < 64; i++) {
    const c = Math.trunc(((i + 0.5) * n) / 64);
    const [a, b] = win(c); const cntC = b - a + 1;
    const lo = win(a)[0], hi = win(b)[1];
    const w = new Float64Array(hi - lo + 1);
    for (let r = a; r <= b; r++) { const [p, q] = win(r); const cnt = q - p + 1; for (let t = p; t <= q; t++) w[t - lo] += 1 / (cntC * cnt); }
    res.push({ lo, w: Float32Array.from(w) });
  }
  return res;
}
function fast({ luma, width: W, height: H }) {
  const ky = kernels(H), kx = kernels(W);
  const V = new Float32Array(64 * W);
  for (let i = 0; i < 64; i++) { const { lo, w } = ky[i]; for (let t = 0; t < w.length; t++) { const k = w[t], row = (lo + t) * W; for (let x = 0; x < W; x++) V[i * W + x] = f(V[i * W + x] + f(k * luma[row + x])); } }
  const out = new Float32Array(4096);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 64; j++) { const { lo, w } = kx[j]; let s = 0; for (let t = 0; t < w.length; t++) s = f(s + f(w[t] * V[i * W + lo + t])); out[i * 64 + j] = s; }
  return out;
}
const files = [];
const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = d + '/' + e.name; if (e.isDirectory()) walk(p); else if (/\.(jpe?g|png)$/i.test(e.name)) files.push(p); } };
walk('fixtures/pdq'); walk('fixtures/blockhash');
let maxRel = 0, diffs = 0, qd = 0;
for (const file of files) {
  let d; try { d = await decodeImage(readFileSync(file), defaultDecodeLimits); } catch (e) { continue; }
  const L = lumaFromRaw(d.pixels);
  const a = downsampleTo64Js(L), b = fast(L);
  let m = 0, scale = 0; for (let k = 0; k < 4096; k++) { m = Math.max(m, Math.abs(a[k] - b[k])); scale = Math.max(scale, Math.abs(a[k])); }
  maxRel = Math.max(maxRel, m / scale);
  const ha = pdqBitsToHex(dct64To16(a)), hb = pdqBitsToHex(dct64To16(b));
  const dist = hammingDistanceHex(ha, hb); if (dist) diffs++;
  const qa = pdqQuality(a), qb = pdqQuality(b); if (qa !== qb) qd++;
  console.log(file.padEnd(50), L.width + 'x' + L.height, 'maxabs', m.toExponential(2), 'hashdist', dist, 'q', qa, qb);
}
console.log(files.length, 'files; maxRel', maxRel.toExponential(2), 'hash diffs', diffs, 'quality diffs', qd);
