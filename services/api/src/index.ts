export { apiSpec, splashSpec } from './config.js';
export { splashSettingsFromConfig, SPLASH_DEFAULTS, type SplashSettings } from './routes/isp-splash.js';
export { buildApp, routesOf, type AppDeps, type RegisteredRoute } from './app.js';
export { errorAnswer } from './error-answer.js';
export { ApiErrorCodes, type ApiErrorCode } from './errors.js';
export {
  createRateLimiter,
  type RateLimiter,
  type RateLimitOptions,
  type RateDecision,
} from './rate-limit.js';
export {
  inScope,
  orderScopeFor,
  scopeFor,
  ORDER_OVERSIGHT_ROLES,
  ORDER_READERS,
  TenantRules,
  type RouteAccess,
  type TenantRule,
  type TenantScope,
} from './authz.js';
export { verifiedClientFingerprint, type PeerSocket } from './auth.js';
export { tlsOptions, type TlsPaths } from './tls.js';
export { createApiService, type ApiService, type ApiConfig } from './service.js';
export { ApiError } from './errors.js';
export { API_MEDIA_META_MAX_BYTES } from './routes/media.js';
export { createMediaDispatcher, type MediaDispatcher } from './media-dispatch.js';
