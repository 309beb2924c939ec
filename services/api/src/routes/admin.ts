import { adminCertificateRoutes } from './admin-certificates.js';
import { adminFeedSettingsRoutes } from './admin-feed-settings.js';
import { adminKeyRoutes } from './admin-keys.js';
import { adminTenantRoutes } from './admin-tenants.js';
import { registerParts, type RouteDeps, type TypedApp } from './common.js';

/**
 * Platform administration (under `/v1/admin`, admins only): tenants, API keys (the secret is shown once), roles
 * client certificates and ISP feed settings. Every change is audited in the transaction that makes it.
 */
export async function adminRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  await registerParts(app, deps, [
    adminTenantRoutes,
    adminKeyRoutes,
    adminCertificateRoutes,
    adminFeedSettingsRoutes,
  ]);
}
