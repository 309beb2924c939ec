import { AuditError, AuditErrorCode } from './errors.js';

/** Deepest nesting accepted; audit records need 2 levels, so anything deeper is a mistake or an attack. */
export const CANONICAL_MAX_DEPTH = 16;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fail(path: string, what: string): never {
  throw new AuditError(AuditErrorCode.NOT_CANONICAL, `${path || '$'}: ${what}`);
}

function encode(value: unknown, path: string, depth: number, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `non-finite number ${value}`);
      // ECMAScript Number::toString, as RFC 8785 prescribes; -0 becomes 0.
      out.push(JSON.stringify(value));
      return;
    case 'string':
      if (LONE_SURROGATE.test(value))
        fail(path, 'string holds a lone UTF-16 surrogate (not encodable as UTF-8)');
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      fail(path, `${typeof value} has no canonical form`);
  }
  if (depth >= CANONICAL_MAX_DEPTH) fail(path, `nested deeper than ${CANONICAL_MAX_DEPTH}`);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(`${path}[${i}]`, 'sparse array');
      if (i > 0) out.push(',');
      encode(value[i], `${path}[${i}]`, depth + 1, out);
    }
    out.push(']');
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    // Byte arrays, Dates, Maps...: records carry digests as hex strings, never raw bytes or objects.
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    fail(path, `${name} is not a plain object`);
  }
  const obj = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units: the order RFC 8785 (JCS) section 3.2.3 prescribes.
  const keys = Object.keys(obj).sort();
  out.push('{');
  keys.forEach((key, i) => {
    const child = obj[key];
    if (child === undefined) fail(`${path}.${key}`, 'undefined value (use null or omit the key)');
    if (LONE_SURROGATE.test(key)) fail(`${path}.${key}`, 'key holds a lone UTF-16 surrogate');
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    encode(child, `${path}.${key}`, depth + 1, out);
  });
  out.push('}');
}

/**
 * The canonical JSON text of `value`: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers written as `JSON.stringify` writes them. For the values it accepts this equals RFC 8785 (JCS).
 * Rejects (MOD_ERR_AUDIT_NOT_CANONICAL) non-finite numbers, `undefined`, bigint, functions, symbols, sparse
 * arrays, lone surrogates, non-plain objects (Uint8Array, Buffer, Date, Map...) and nesting deeper than 16.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  encode(value, '', 0, out);
  return out.join('');
}

/** UTF-8 bytes of `canonicalJson(value)`: the bytes a record's leaf hash and a tree head's signature cover. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/**
 * Parses JSON text that must already be canonical: `canonicalJson(JSON.parse(text)) === text`. Catches
 * whitespace, reordered or duplicate keys and re-encoded numbers, so one record has exactly one byte form.
 */
export function parseCanonicalJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AuditError(AuditErrorCode.NOT_CANONICAL, 'not valid JSON', { cause });
  }
  if (canonicalJson(value) !== text) {
    throw new AuditError(AuditErrorCode.NOT_CANONICAL, 'JSON is valid but not in canonical form');
  }
  return value;
}
