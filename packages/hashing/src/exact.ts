import { createHash } from 'node:crypto';

/** Cryptographic digests of the raw file bytes, lowercase hex (IWF and NCMEC lists carry these). */
export interface ExactHashes {
  sha256: string;
  sha1: string;
  md5: string;
}

/** SHA-256, SHA-1 and MD5 of `bytes`. */
export function exactHashes(bytes: Uint8Array): ExactHashes {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sha1: createHash('sha1').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('hex'),
  };
}
