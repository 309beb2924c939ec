import { describe, expect, it } from 'vitest';
import { routesOf, type RegisteredRoute } from './app.js';
import {
  AUTHZ_MATRIX,
  type PeopleFixtureContext,
  type SampleContext,
  type SampleRequest,
} from './authz-matrix.test-helper.js';
import { useMatrixWorld } from './callers-world.test-helper.js';
import { bearer, multipartBody, send } from './testing.test-helper.js';

/** Shapes of SQL injection (and friends): each must be refused or taken literally, never executed. */
const HOSTILE = [
  "' OR '1'='1",
  '1; DROP TABLE tenants; --',
  "' UNION SELECT key_sha256, prefix FROM api_keys --",
  "x'); select pg_sleep(10); --",
  '$1',
  '%27%20OR%201%3D1',
  '\\"; --',
];
/** What must never appear in an answer: database or runtime internals. */
const INTERNALS = /syntax error|SQLSTATE|pg_|relation "|column "|at .+\.(js|ts):\d+|node_modules/i;

const matrix = useMatrixWorld();
const { api } = matrix;
let counter = 0;

interface JsonSchema {
  type?: string;
  anyOf?: JsonSchema[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
}
const isStringish = (s: JsonSchema | undefined): boolean =>
  s !== undefined &&
  (s.type === 'string' ||
    (s.anyOf?.some((a) => isStringish(a) || typeof a.const === 'string') ?? false) ||
    (s.type === 'array' && isStringish(s.items)));
const stringFields = (schema: unknown): string[] =>
  Object.entries((schema as JsonSchema | undefined)?.properties ?? {})
    .filter(([, s]) => isStringish(s))
    .map(([name]) => name);

/** The route's sample request with one string parameter replaced by a hostile value. */
function variants(r: RegisteredRoute, sample: SampleRequest, hostile: string) {
  const out: { where: string; req: SampleRequest }[] = [];
  const [path = '', query = ''] = sample.url.split('?');
  const template = r.url.split('/');
  for (const name of stringFields(r.schema['params'])) {
    const segments = path.split('/');
    const i = template.indexOf(`:${name}`);
    segments[i] = encodeURIComponent(hostile);
    out.push({
      where: `params.${name}`,
      req: { ...sample, url: `${segments.join('/')}${query ? `?${query}` : ''}` },
    });
  }
  for (const name of stringFields(r.schema['querystring'])) {
    const q = new URLSearchParams(query);
    q.set(name, hostile);
    out.push({ where: `query.${name}`, req: { ...sample, url: `${path}?${q.toString()}` } });
  }
  if (typeof sample.payload === 'object' && sample.payload !== null) {
    for (const name of stringFields(r.schema['body'])) {
      out.push({
        where: `body.${name}`,
        req: { ...sample, payload: { ...sample.payload, [name]: hostile } },
      });
    }
  }
  return out;
}

describe('hostile input in every string parameter', () => {
  it('is refused with a typed 4xx or taken literally; never a 5xx, internals, or another tenant’s data', async () => {
    const problems: string[] = [];
    let tried = 0;
    const { callerKeys, sides } = matrix.fixtures;
    const people: PeopleFixtureContext = {
      ...matrix.fixtures.people.shared,
      callerPassword: '',
      callerTotpCode: '',
    };
    for (const r of routesOf(api.app)) {
      const entry = AUTHZ_MATRIX[`${r.method} ${r.url}`];
      if (entry === undefined || entry.roles === 'public') continue;
      // The least privileged allowed role sees the fewest tenants: a leak shows best there.
      const role = entry.roles.find((x) => !(entry.crossTenant ?? []).includes(x)) ?? entry.roles[0]!;
      const own = sides[role].own;
      const other = sides[role].other;
      const mayReadOthers = entry.tenant === 'none' || (entry.crossTenant ?? []).includes(role);
      for (const hostile of HOSTILE) {
        const sample = (entry.sample ?? ((_c: SampleContext) => ({ url: r.url })))({
          ...own,
          ...people,
          unique: `inj${++counter}`,
        });
        for (const v of [
          ...variants(r, sample, hostile),
          { where: 'authorization', req: sample, key: hostile },
        ]) {
          tried++;
          const key = 'key' in v ? v.key : callerKeys[role];
          const res = await send(api.app, r.method, v.req, key);
          const where = `${r.method} ${r.url} ${v.where} = ${JSON.stringify(hostile)}`;
          if (res.statusCode >= 500) problems.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          else if (
            res.statusCode >= 400 &&
            !/^MOD_ERR_API_/.test(res.json<{ error: { code: string } }>().error.code)
          )
            problems.push(`${where}: untyped ${res.statusCode}`);
          // Free text is echoed back literally (also later, e.g. in an order's history); what else the answer
          // says must not show internals.
          // Secrets issued in the answer (an API key, a webhook signing secret) are random base64url text that
          // can spell anything ("pg_" included), so they are left out too.
          const answer = HOSTILE.reduce(
            (text, h) => text.split(JSON.stringify(h).slice(1, -1)).join('').split(h).join(''),
            res.body.replace(/"(key|secret)":"[^"]*"/g, ''),
          );
          if (INTERNALS.test(answer)) problems.push(`${where}: internals in the answer`);
          if (
            !mayReadOthers &&
            [other.orderId, other.submissionId, other.keyId].some((id) => res.body.includes(id))
          )
            problems.push(`${where}: another tenant's object in the answer`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(tried).toBeGreaterThan(200);
    // Nothing was executed: the tables are all there and the fixtures intact.
    const tenants = await api.db.query<{ n: number }>(`select count(*)::int as n from tenants`);
    expect(tenants.rows[0]?.n).toBeGreaterThanOrEqual(13);
    const keys = await api.db.query<{ n: number }>(`select count(*)::int as n from api_keys`);
    expect(keys.rows[0]?.n).toBeGreaterThanOrEqual(18);
  });

  it('stores hostile free text literally (multipart fields, labels)', async () => {
    const hostile = "'); DROP TABLE submissions; --";
    const boundaryBody = multipartBody(Buffer.from('not really an image'));
    const boundary = /boundary=(.*)$/.exec(boundaryBody.contentType)?.[1] ?? '';
    /** An upload with one more form field, `field` (the hostile text), in front of the file. */
    const uploadWith = (field: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/media',
        headers: { ...bearer(matrix.fixtures.callerKeys.platform), 'content-type': boundaryBody.contentType },
        payload: Buffer.concat([
          Buffer.from(
            `--${boundary}\r\ncontent-disposition: form-data; name="${field}"\r\n\r\n${hostile}\r\n`,
          ),
          boundaryBody.payload,
        ]),
      });
    const res = await uploadWith('externalRef');
    expect(res.statusCode).toBe(202);
    const id = res.json<{ submissionId: string }>().submissionId;
    const row = await api.db.query<{ external_ref: string }>(
      `select external_ref from submissions where id = $1`,
      [id],
    );
    expect(row.rows[0]?.external_ref).toBe(hostile);
    const category = await uploadWith('reportedCategory');
    expect(category.statusCode).toBe(400);
    expect(category.json()).toMatchObject({ error: { code: 'MOD_ERR_API_VALIDATION' } });
  });
});
