import { readFileSync } from 'node:fs';

/**
 * The error codes a package's README documents: every distinct `MOD_ERR_<prefix>_…` it names, sorted. A package's
 * errors test compares them with its code list, so the two stay in sync (fastify's errors test does the same).
 * A subpath of `@mod/contracts` (not its pure main entry: it reads a file) so that every package's tests can use it
 * without a dependency cycle (`@mod/testing` depends on `@mod/db`, which depends on vault and hashing).
 */
export function documentedErrorCodes(readme: URL, prefix: string): string[] {
  const text = readFileSync(readme, 'utf8');
  return [...new Set(text.match(new RegExp(`MOD_ERR_${prefix}_[A-Z_]+`, 'g')))].sort();
}
