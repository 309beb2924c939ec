import { commonSpec, env } from '@mod/config';

export const apiSpec = {
  ...commonSpec,
  API_HOST: env.string({ default: '127.0.0.1', doc: 'address the API listens on' }),
  API_PORT: env.integer({ default: 8080, min: 0, max: 65535, doc: 'port the API listens on' }),
  MAX_UPLOAD_BYTES: env.integer({ default: 12 * 1024 * 1024, min: 1024, doc: 'largest media upload, bytes' }),
} as const;
