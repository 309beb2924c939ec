/** `@mod/db/access`: Tenants, their settings and standing, API keys and client certificates: who may do what. */
export * from '../tenants.js';
export { TenantFieldRules, satisfiesRule, expiresInFuture, type StringRule } from '../tenant-rules.js';
