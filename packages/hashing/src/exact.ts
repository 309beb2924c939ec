import { createHash } from 'node:crypto';

/** Cryptographic digests of the raw file bytes, lowercase hex (IWF and NCMEC lists carry these). */
export interface ExactHashes {
  sha256: string;
  sha1: string;
  md5: string;
}

/**
 * SHA-256, SHA-1 and MD5 of `bytes`; `sha256`, when given, is the SHA-256 the caller itself computed of these very
 * bytes (the scanner, for its decode mark), taken instead of computing it again. Never a digest another party
 * supplied: it names the content in verdicts.
 */
export function exactHashes(bytes: Uint8Array, sha256?: string): ExactHashes {
  return {
    sha256: sha256 ?? createHash('sha256').update(bytes).digest('hex'),
    sha1: createHash('sha1').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('hex'),
  };
}
