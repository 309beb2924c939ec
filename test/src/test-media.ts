import { randomUUID } from 'node:crypto';
import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';

/**
 * A photo-like JPEG (`seededPhoto`: rings around a seeded centre, gradients and seeded noise), so perceptual hashes
 * are meaningful; the rings' period comes from the seed too.
 */
export const makePhoto = (seed: number, width = 320, height = 240): Promise<Buffer> =>
  seededPhoto(seed, { width, height, ringPeriod: 8 + (seed % 7), quality: 85 });

/** multipart/form-data body for `app.inject`. */
export function multipart(
  fields: Record<string, string>,
  file?: { field: string; name: string; type: string; bytes: Buffer },
) {
  const boundary = `----mod${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.name}"\r\ncontent-type: ${file.type}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}
