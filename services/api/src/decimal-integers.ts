import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from './errors.js';

/**
 * Integer path and query parameters are written in decimal digits, nothing else. The app's ajv coerces a
 * parameter's string with JavaScript's number conversion, which reads `0x1` as 1, `1e1` as 10, `0b1` and `0o7`
 * too; so `POST /v1/audit/records/0x1/texts/reason/erase` erased record 1 under a name no client meant. Checked
 * here once for every route, from its own schema (any property of its `params` or `querystring` whose type is
 * `integer`), before ajv coerces: anything but an optional minus and digits is 400 MOD_ERR_API_VALIDATION.
 */
const DECIMAL = /^-?[0-9]+$/;

interface SchemaNode {
  type?: unknown;
  anyOf?: unknown;
  properties?: Readonly<Record<string, unknown>>;
}

const isNode = (s: unknown): s is SchemaNode => typeof s === 'object' && s !== null;

/** Whether a property's schema lets (only, or among others) an integer through. */
function takesInteger(schema: unknown): boolean {
  if (!isNode(schema)) return false;
  const { type, anyOf } = schema;
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) return true;
  return Array.isArray(anyOf) && anyOf.some(takesInteger);
}

/** The names of the integer properties of an object schema (a route's `params` or `querystring`). */
export function integerProperties(schema: unknown): readonly string[] {
  if (!isNode(schema) || schema.properties === undefined) return [];
  return Object.entries(schema.properties)
    .filter(([, property]) => takesInteger(property))
    .map(([name]) => name);
}

/** A raw value (a string; repeated in a query, an array of them) that is not decimal digits, if any. */
const notDecimal = (value: unknown): boolean =>
  Array.isArray(value) ? value.some(notDecimal) : typeof value === 'string' && !DECIMAL.test(value);

function checkPart(values: unknown, names: readonly string[], part: 'params' | 'querystring'): void {
  if (names.length === 0 || !isNode(values)) return;
  for (const name of names) {
    if (notDecimal((values as Record<string, unknown>)[name]))
      throw badRequest('MOD_ERR_API_VALIDATION', `${part}/${name} must be an integer in decimal digits`);
  }
}

/** Registers the check on `app` (before its routes, so that every route has it). */
export function registerDecimalIntegers(app: FastifyInstance): void {
  const known = new WeakMap<object, { params: readonly string[]; querystring: readonly string[] }>();
  const fieldsOf = (req: FastifyRequest) => {
    const schema = req.routeOptions.schema;
    if (schema === undefined) return null;
    let fields = known.get(schema);
    if (fields === undefined) {
      fields = {
        params: integerProperties(schema.params),
        querystring: integerProperties(schema.querystring),
      };
      known.set(schema, fields);
    }
    return fields;
  };
  app.addHook('preValidation', async (req) => {
    const fields = fieldsOf(req);
    if (fields === null) return;
    checkPart(req.params, fields.params, 'params');
    checkPart(req.query, fields.querystring, 'querystring');
  });
}
