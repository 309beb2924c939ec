import { adminCertificateRoutes } from './admin-certificates.js';
import { adminFeedSettingsRoutes } from './admin-feed-settings.js';
import { adminKeyRoutes } from './admin-keys.js';
import { adminOrderWebhookReadRoutes } from './admin-order-webhooks.js';
import { adminTenantRoutes } from './admin-tenants.js';
import { registerParts, type TypedApp } from './common.js';
import { adminOrderWebhookRoutes, type OrderWebhookDeps } from './order-webhook.js';

/**
 * Platform administration (under `/v1/admin`, admins only): tenants, API keys (the secret is shown once), roles
 * client certificates, ISP feed settings and tenants' order webhooks. Every change is audited in the transaction
 * that makes it.
 */
export async function adminRoutes(app: TypedApp, deps: OrderWebhookDeps): Promise<void> {
  await registerParts(app, deps, [
    adminTenantRoutes,
    adminKeyRoutes,
    adminCertificateRoutes,
    adminFeedSettingsRoutes,
    adminOrderWebhookRoutes,
    adminOrderWebhookReadRoutes,
  ]);
}
