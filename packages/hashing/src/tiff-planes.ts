/**
 * Rows of every sample plane a TIFF's loader holds at once, from the first directory (the page decoded): for a
 * TIFF whose samples are stored plane by plane (PlanarConfiguration 2), libvips reads a strip (or row of tiles) of
 * each plane before it can give a row, so a file of one strip per plane is held whole (a 0.8 MB deflated 16-bit
 * RGBA file of 10000×10000 took 1.34 GB); 0 for interleaved samples, which stream, and for what cannot be read here.
 */
export function tiffPlaneRows(bytes: Uint8Array): number {
  if (bytes.byteLength < 8) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const dir = u32(4);
  if (dir + 2 > bytes.byteLength) return 0;
  const entries = u16(dir);
  const tags = new Map<number, number>();
  for (let i = 0; i < entries; i++) {
    const at = dir + 2 + i * 12;
    if (at + 12 > bytes.byteLength) break;
    const type = u16(at + 2);
    // The first value of a SHORT or LONG entry (the tags read here hold one).
    if (type === 3) tags.set(u16(at), u16(at + 8));
    else if (type === 4) tags.set(u16(at), u32(at + 8));
  }
  if (tags.get(284) !== 2) return 0;
  const height = tags.get(257) ?? 0;
  const rows = tags.get(323) ?? tags.get(278) ?? height; // TileLength, else RowsPerStrip (default: all rows)
  return Math.min(rows, height);
}
