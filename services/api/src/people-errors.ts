import type { FastifyRequest } from 'fastify';
import { peopleMessage, preferredLanguage, type Language, type PeopleMessageId } from '@mod/people';
import { ApiError, ApiErrorCodes, type ApiErrorCode } from './errors.js';

/** The language a person is answered in: Vietnamese unless their `Accept-Language` prefers English. */
export function languageOf(req: FastifyRequest): Language {
  const header = req.headers['accept-language'];
  return preferredLanguage(typeof header === 'string' ? header : undefined);
}

/**
 * An error for a person: a stable code (English, for programs) and a message in the person's language
 * (`@mod/people` messages, Vietnamese by default).
 */
export function peopleError(
  req: FastifyRequest,
  code: ApiErrorCode,
  message: PeopleMessageId,
  retryAfterS?: number,
): ApiError {
  return new ApiError(ApiErrorCodes[code], code, peopleMessage(message, languageOf(req)), retryAfterS);
}

/** The same with a message already in the person's language. */
export function peopleErrorWithText(code: ApiErrorCode, text: string): ApiError {
  return new ApiError(ApiErrorCodes[code], code, text);
}
