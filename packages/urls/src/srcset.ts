import { isHtmlSpace } from './html-scan.js';

/** A `srcset` longer than this is not read (a page with that many candidates is not one a person wrote). */
export const MAX_SRCSET_LENGTH = 32 * 1024;

/**
 * The largest candidate of a `srcset` (by width descriptor, else density, a bare URL counting as 1x), or null.
 * Parsed as HTML does: a URL is a run of non-space characters (trailing commas end the candidate), descriptors
 * run to the next comma outside parentheses. One pass over the text.
 */
export function largestSrcsetCandidate(srcset: string): string | null {
  const n = srcset.length;
  let i = 0;
  let best: string | null = null;
  let bestWidth = -1;
  let bestDensity = -1;
  while (i < n) {
    while (i < n && (isHtmlSpace(srcset.charCodeAt(i)) || srcset.charCodeAt(i) === 0x2c)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isHtmlSpace(srcset.charCodeAt(i))) i++;
    let url = srcset.slice(start, i);
    let descriptors = '';
    if (url.endsWith(',')) {
      // Not /,+$/: over a run of commas inside a long candidate that pattern backtracks quadratically.
      let end = url.length;
      while (end > 0 && url.charCodeAt(end - 1) === 0x2c) end--;
      url = url.slice(0, end);
    } else {
      const from = i;
      let depth = 0;
      while (i < n) {
        const c = srcset.charCodeAt(i);
        if (c === 0x28) depth++;
        else if (c === 0x29 && depth > 0) depth--;
        else if (c === 0x2c && depth === 0) break;
        i++;
      }
      descriptors = srcset.slice(from, i).trim();
      i++;
    }
    if (url === '') continue;
    let width = -1;
    let density = 1;
    for (const d of descriptors.split(/\s+/)) {
      const unit = d.slice(-1).toLowerCase();
      const value = Number(d.slice(0, -1));
      if (!Number.isFinite(value) || value <= 0) continue;
      if (unit === 'w') width = value;
      else if (unit === 'x') density = value;
    }
    if (width > bestWidth || (width === bestWidth && density > bestDensity)) {
      best = url;
      bestWidth = width;
      bestDensity = density;
    }
  }
  return best;
}
