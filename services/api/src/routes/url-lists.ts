import { registerParts, type TypedApp } from './common.js';
import { urlListBankRoutes } from './url-list-banks.js';
import { urlListEntryRoutes } from './url-list-entries.js';
import { urlListImportRoutes, type UrlListImportDeps } from './url-list-import.js';

export type UrlListRouteDeps = UrlListImportDeps;

/**
 * Curators manage URL-list banks (under `/v1/url-lists`; exact URL, prefix, host, registrable-domain entries):
 * create, change settings, list, add, soft-remove and import entries. Patterns are normalised with the project's
 * URL normaliser; an entry it refuses gets its own error with a stable code. Every change is announced to
 * fetchers (compacted `mod.url-list-changes.v1`, through the outbox) and reaches ISP feeds; every change is
 * audited.
 */
export async function urlListRoutes(app: TypedApp, deps: UrlListRouteDeps): Promise<void> {
  await registerParts(app, deps, [urlListBankRoutes, urlListEntryRoutes, urlListImportRoutes]);
}
