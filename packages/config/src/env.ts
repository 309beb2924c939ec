import { hasUnsafeTextCharacter } from '@mod/contracts/text-rules';
import { ConfigError } from './errors.js';

/** One environment variable: how to parse it, and its default when absent (no default = required). */
export interface EnvField<T> {
  readonly kind: string;
  readonly defaultValue?: T;
  readonly secret?: boolean;
  readonly doc: string;
  parse(raw: string): T | { problem: string };
}

export type Spec = Record<string, EnvField<unknown>>;
export type ConfigOf<S extends Spec> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never;
};

interface FieldOptions<T> {
  default?: T;
  doc: string;
  secret?: boolean;
}

function field<T>(
  kind: string,
  opts: FieldOptions<T>,
  parse: (raw: string) => T | { problem: string },
): EnvField<T> {
  return {
    kind,
    doc: opts.doc,
    parse,
    ...(opts.default === undefined ? {} : { defaultValue: opts.default }),
    ...(opts.secret === undefined ? {} : { secret: opts.secret }),
  };
}

/**
 * The longest delay Node's timers take (setTimeout, setInterval): 2^31 - 1 ms, about 24.8 days. A longer one is
 * run after 1 ms, so a setting beyond it would turn a shutdown budget or a poll interval into 1 ms.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const env = {
  string(opts: FieldOptions<string> & { pattern?: RegExp }): EnvField<string> {
    return field('string', opts, (raw) =>
      opts.pattern && !opts.pattern.test(raw) ? { problem: `must match ${String(opts.pattern)}` } : raw,
    );
  },
  /** Human-readable text (e.g. shown on a page): at most `maxLength` characters, no control characters. */
  text(opts: FieldOptions<string> & { maxLength: number }): EnvField<string> {
    return field('text', opts, (raw) => {
      if (hasUnsafeTextCharacter(raw)) return { problem: 'must not contain control characters' };
      const length = [...raw].length;
      if (length > opts.maxLength)
        return { problem: `must be at most ${opts.maxLength} characters, got ${length}` };
      return raw;
    });
  },
  integer(opts: FieldOptions<number> & { min?: number; max?: number }): EnvField<number> {
    return field('integer', opts, (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return { problem: `must be an integer, got "${raw}"` };
      const n = Number(raw);
      if (opts.min !== undefined && n < opts.min) return { problem: `must be >= ${opts.min}, got ${n}` };
      if (opts.max !== undefined && n > opts.max) return { problem: `must be <= ${opts.max}, got ${n}` };
      return n;
    });
  },
  /**
   * A duration in milliseconds: an integer of at most {@link MAX_TIMER_MS} (a smaller `max` stays), so that a value
   * in the wrong unit fails at start-up instead of firing a timer after 1 ms.
   */
  milliseconds(opts: FieldOptions<number> & { min?: number; max?: number }): EnvField<number> {
    return env.integer({ ...opts, max: Math.min(opts.max ?? MAX_TIMER_MS, MAX_TIMER_MS) });
  },
  number(opts: FieldOptions<number> & { min?: number; max?: number }): EnvField<number> {
    return field('number', opts, (raw) => {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) return { problem: `must be a number, got "${raw}"` };
      if (opts.min !== undefined && n < opts.min) return { problem: `must be >= ${opts.min}, got ${n}` };
      if (opts.max !== undefined && n > opts.max) return { problem: `must be <= ${opts.max}, got ${n}` };
      return n;
    });
  },
  boolean(opts: FieldOptions<boolean>): EnvField<boolean> {
    return field('boolean', opts, (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      return { problem: `must be true or false, got "${raw}"` };
    });
  },
  list(opts: FieldOptions<readonly string[]>): EnvField<readonly string[]> {
    return field('list', opts, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      return items.length === 0 ? { problem: 'must list at least one value' } : Object.freeze(items);
    });
  },
  oneOf<const T extends string>(values: readonly T[], opts: FieldOptions<T>): EnvField<T> {
    return field('enum', opts, (raw) =>
      (values as readonly string[]).includes(raw)
        ? (raw as T)
        : { problem: `must be one of ${values.join(', ')}` },
    );
  },
  url(opts: FieldOptions<string> & { protocols: readonly string[] }): EnvField<string> {
    return field('url', opts, (raw) => {
      try {
        const u = new URL(raw);
        return opts.protocols.includes(u.protocol)
          ? raw
          : { problem: `protocol must be ${opts.protocols.join(' or ')}` };
      } catch {
        return { problem: 'must be a URL' };
      }
    });
  },
};

/**
 * Reads every field of `spec` from `source`, reports ALL problems in one ConfigError, and returns a frozen
 * object. Behaviour never switches on NODE_ENV: every setting is explicit.
 */
export function loadConfig<S extends Spec>(
  spec: S,
  source: Readonly<Record<string, string | undefined>>,
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) {
    const raw = source[name];
    if (raw === undefined || raw === '') {
      if (f.defaultValue === undefined) problems.push(`${name} is required (${f.doc})`);
      else out[name] = f.defaultValue;
      continue;
    }
    const parsed = f.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && 'problem' in parsed) {
      problems.push(`${name} ${(parsed as { problem: string }).problem}`);
    } else out[name] = parsed;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/** Config with secrets masked, for the start-up log line. */
export function describeConfig<S extends Spec>(spec: S, config: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) {
    out[name] = f.secret ? '***' : (config as Record<string, unknown>)[name];
  }
  return out;
}
