/**
 * Base class of every error the project raises on purpose.
 *
 * Each package declares its own codes in its `errors.ts` (prefix `MOD_ERR_`), documents them in its README,
 * and never reuses a retired code. `retriable` tells a pipeline runner whether to back off and try again
 * (an outage) or to dead-letter the input (bad input).
 */
export class ModError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** Plain-data form for logs, API responses and dead-letter records (no stack, no cause chain). */
  toJSON(): { code: string; message: string; retriable: boolean } {
    return { code: this.code, message: this.message, retriable: this.retriable };
  }
}

/**
 * Base of a package's error class when none of its codes is ever retriable (bad input, bad configuration,
 * tampering, a request that cannot succeed by trying again). `Code` narrows `code` to the package's own codes:
 * `export class UrlError extends PermanentError<UrlErrorCode> {}`.
 */
export class PermanentError<Code extends string = string> extends ModError {
  declare readonly code: Code;

  constructor(code: Code, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: options.cause });
  }
}

export function isModError(value: unknown): value is ModError {
  return value instanceof ModError;
}
