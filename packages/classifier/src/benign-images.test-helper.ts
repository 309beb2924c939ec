/**
 * Generated benign images for the tests and the benchmark (no fixture needed): landscapes rendered pixel by
 * pixel, simple drawings and text rendered from SVG by sharp. Deterministic for a given seed.
 */
import sharp from 'sharp';
import { seededRandom } from '@mod/testing';
import type { RgbImage } from './preprocess.js';

const clampByte = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

/** Sky gradient over rolling green hills, with noise. */
export function renderLandscape(seed: number, width = 320, height = 240): RgbImage {
  const rnd = seededRandom(seed);
  const data = new Uint8Array(width * height * 3);
  const horizon = height * (0.45 + 0.2 * rnd());
  const phase = rnd() * Math.PI * 2;
  const amp = height * (0.03 + 0.05 * rnd());
  const sunX = width * (0.2 + 0.6 * rnd());
  const sunY = horizon * (0.3 + 0.3 * rnd());
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const hill = horizon + amp * Math.sin(phase + (x / width) * Math.PI * 3);
      const n = (rnd() - 0.5) * 24;
      let r: number;
      let g: number;
      let b: number;
      if (y < hill) {
        const t = y / hill;
        r = 60 + 140 * t;
        g = 120 + 100 * t;
        b = 230 - 10 * t;
        if (Math.hypot(x - sunX, y - sunY) < height * 0.06) [r, g, b] = [255, 240, 180];
      } else {
        const t = (y - hill) / (height - hill);
        r = 40 + 50 * t;
        g = 140 - 50 * t;
        b = 40 + 10 * t;
      }
      data[i] = clampByte(r + n);
      data[i + 1] = clampByte(g + n);
      data[i + 2] = clampByte(b + n);
    }
  }
  return { data, width, height, channels: 3 };
}

const PALETTE = ['#e63946', '#f1c40f', '#2a9d8f', '#264653', '#8e44ad', '#3498db', '#e67e22'];

/** Circles, rectangles and lines on white, rendered from SVG. */
export async function renderShapes(seed: number, width = 320, height = 240): Promise<Uint8Array> {
  const rnd = seededRandom(seed);
  const pick = (): string => PALETTE[Math.floor(rnd() * PALETTE.length)] ?? '#000';
  const parts: string[] = [];
  for (let k = 0; k < 8; k++) {
    const x = Math.round(rnd() * width);
    const y = Math.round(rnd() * height);
    const s = Math.round(15 + rnd() * 60);
    if (k % 3 === 0) parts.push(`<circle cx="${x}" cy="${y}" r="${s}" fill="${pick()}"/>`);
    else if (k % 3 === 1)
      parts.push(`<rect x="${x}" y="${y}" width="${s * 1.5}" height="${s}" fill="${pick()}"/>`);
    else
      parts.push(
        `<line x1="${x}" y1="${y}" x2="${width - x}" y2="${height - y}" stroke="${pick()}" stroke-width="6"/>`,
      );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A bar chart, rendered from SVG. */
export async function renderChart(seed: number, width = 320, height = 240): Promise<Uint8Array> {
  const rnd = seededRandom(seed);
  const bars = Array.from({ length: 6 }, (_, i) => {
    const h = Math.round(30 + rnd() * (height - 80));
    return `<rect x="${30 + i * 45}" y="${height - 30 - h}" width="30" height="${h}" fill="${PALETTE[i % PALETTE.length] ?? '#000'}"/>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><line x1="25" y1="${height - 30}" x2="${width - 10}" y2="${height - 30}" stroke="#000" stroke-width="2"/>${bars.join('')}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer());
}

const WORDS = [
  'quarterly',
  'report',
  'network',
  'traffic',
  'summary',
  'invoice',
  'meeting',
  'agenda',
  'budget',
  'review',
  'project',
  'status',
];

/** Lines of black text on white, rendered from SVG through sharp (librsvg + system fonts). */
export async function renderText(seed: number, width = 320, height = 240): Promise<Uint8Array> {
  const rnd = seededRandom(seed);
  const lines = Array.from({ length: 8 }, (_, i) => {
    const words = Array.from({ length: 4 }, () => WORDS[Math.floor(rnd() * WORDS.length)] ?? 'text').join(
      ' ',
    );
    return `<text x="12" y="${28 + i * 27}" font-family="DejaVu Sans, sans-serif" font-size="18" fill="#111">${words}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${lines.join('')}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A mixed set of `count` benign images (landscapes as decoded RGB, the rest encoded). */
export async function benignImages(count: number, seed = 1): Promise<(Uint8Array | RgbImage)[]> {
  const out: (Uint8Array | RgbImage)[] = [];
  for (let i = 0; i < count; i++) {
    const s = seed + i;
    switch (i % 4) {
      case 0:
        out.push(renderLandscape(s));
        break;
      case 1:
        out.push(await renderShapes(s));
        break;
      case 2:
        out.push(await renderText(s));
        break;
      default:
        out.push(await renderChart(s));
    }
  }
  return out;
}
