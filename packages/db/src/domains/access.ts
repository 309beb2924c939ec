/** `@mod/db/access`: Tenants, their settings and standing, API keys and client certificates: who may do what. */
export {
  Roles,
  RolesByTenantKind,
  TenantKinds,
  createTenant,
  getTenant,
  listBlockingSubscribers,
  listTenants,
  roleAllowedForTenant,
  updateTenant,
  upsertTenant,
  type Role,
  type StoredTenant,
  type Tenant,
  type TenantKind,
} from '../tenants.js';
export {
  apiKeyPrefix,
  createApiKey,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  setApiKeyRole,
  verifyApiKey,
  type ApiKeyInfo,
  type NewApiKey,
} from '../api-keys.js';
export {
  normaliseFingerprint,
  registerClientCertificate,
  revokeClientCertificate,
  verifyClientCertificate,
  type ClientCertificateInfo,
} from '../client-certificates.js';
export {
  type CredentialFailure,
  type CredentialKind,
  type KeyCheck,
  type Principal,
} from '../credentials.js';
export { TenantFieldRules, satisfiesRule, expiresInFuture, type StringRule } from '../tenant-rules.js';
