export { apiSpec } from './config.js';
export { buildApp, type AppDeps } from './app.js';
export { createApiService, type ApiService, type ApiConfig } from './service.js';
export { ApiError } from './errors.js';
