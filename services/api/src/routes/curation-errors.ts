import { CurationError, CurationErrorCode } from '@mod/curation';
import { ApiError, conflict, notFound } from '../errors.js';

/** Curation errors as API answers: an unknown list or bank is 404; a refused list file is 400 with its reason. */
export function asApiError(err: unknown): unknown {
  if (!(err instanceof CurationError)) return err;
  switch (err.code) {
    case CurationErrorCode.UnknownUrlList:
      return notFound('URL list');
    case CurationErrorCode.UnknownBank:
      return notFound('bank');
    case CurationErrorCode.NotUrlList:
      return conflict(err.message);
    case CurationErrorCode.StrictRejected:
    case CurationErrorCode.EmptyList:
    case CurationErrorCode.MostlyBadLines:
      return new ApiError(400, 'MOD_ERR_API_LIST_REJECTED', err.message);
    default:
      return err;
  }
}

/** Runs a curation call, answering its typed errors as API errors. */
export async function answering<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asApiError(err);
  }
}
