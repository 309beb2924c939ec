import { ModError } from '@mod/contracts';

/** An error answered to the client with an HTTP status and a stable code; never a stack trace or SQL text. */
export class ApiError extends ModError {
  readonly statusCode: number;
  constructor(statusCode: number, code: string, message: string) {
    super(code, message, { retriable: statusCode >= 500 });
    this.statusCode = statusCode;
  }
}

export const unauthenticated = () =>
  new ApiError(401, 'MOD_ERR_API_UNAUTHENTICATED', 'a valid API key is required');
export const forbidden = () => new ApiError(403, 'MOD_ERR_API_FORBIDDEN', 'this role may not use this route');
export const notFound = (what: string) => new ApiError(404, 'MOD_ERR_API_NOT_FOUND', `${what} not found`);
export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const unavailable = (message: string) => new ApiError(503, 'MOD_ERR_API_UNAVAILABLE', message);
