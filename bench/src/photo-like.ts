/**
 * Photo-like test content for the hashing benchmarks: a diagonal gradient and 12 translucent discs placed by
 * `seed`, as SVG (smooth regions and edges, like photos, unlike flat colours or noise).
 */
export function photoLikeSvg(width: number, height: number, seed: number): string {
  const discs = Array.from({ length: 12 }, (_, k) => {
    const x = ((seed * 97 + k * 131) % 100) / 100;
    const y = ((seed * 53 + k * 71) % 100) / 100;
    const r = 0.05 + ((seed + k * 17) % 20) / 100;
    const hue = (seed * 40 + k * 33) % 360;
    return `<circle cx="${x * width}" cy="${y * height}" r="${r * Math.min(width, height)}" fill="hsl(${hue},60%,50%)" fill-opacity="0.7"/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${seed * 50},50%,70%)"/><stop offset="1" stop-color="hsl(${seed * 50 + 120},40%,25%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${discs}</svg>`;
}
