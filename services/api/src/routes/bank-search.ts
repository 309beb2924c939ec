import { Type } from '@fastify/type-provider-typebox';
import { findEntriesByHash, findUrlListEntriesByKey } from '@mod/db/banks';
import { normalizePattern } from '@mod/urls';
import { badRequest } from '../errors.js';
import { ErrorResponses, Nullable, Uuid, type RouteDeps, type TypedApp } from './common.js';

/** Entries one search answers at most. */
const MAX_FOUND = 100;
/** A hash as curators paste it: hex, 32 (MD5) to 64 (SHA-256, PDQ, blockhash) digits. */
const HEX = /^[0-9a-f]{32,64}$/i;

/**
 * The URL-list keys under which a list holds an entry covering `url`: the URL itself (kind url), the URL as a
 * prefix (kind prefix, no query), its host (host), and the host and each parent domain (domain). The keys are
 * made as the lists make theirs (`normalizePattern` of `@mod/urls`: scheme optional, percent-encoding, case,
 * dot segments, IDNA), so a search finds an entry however its URL was written. Null: not a URL.
 */
export function urlSearchKeys(url: string): { kind: string; key: string }[] | null {
  const r = normalizePattern(url);
  if (!r.ok) return null;
  const u = r.url;
  const hostPort = u.port === null ? u.host : `${u.host}:${u.port}`;
  const keys = [{ kind: 'url', key: u.key }];
  if (u.query === '') keys.push({ kind: 'prefix', key: hostPort + u.path });
  keys.push({ kind: 'host', key: u.host });
  const labels = u.host.startsWith('[') ? [] : u.host.split('.');
  for (let i = 0; i < labels.length - 1; i++) keys.push({ kind: 'domain', key: labels.slice(i).join('.') });
  return keys;
}

const Found = Type.Object(
  {
    bankId: Uuid,
    bankName: Type.String(),
    list: Type.Union([Type.Literal('bank'), Type.Literal('url-list')]),
    type: Type.String({ description: "a hash's signal, or a URL entry's kind" }),
    value: Type.String({ description: 'the hash (hex), or the URL entry as given' }),
    canonicalKey: Nullable(Type.String()),
    category: Nullable(Type.String()),
    addedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

/** Finds live entries across every hash bank and URL list, by exact hash or by URL (curators and admins). */
export async function bankSearchRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/search',
    {
      config: { roles: ['curator', 'admin'], tenant: 'none' },
      schema: {
        description:
          'Live entries of every hash bank and URL list matching `q`: a hash in hex (32 to 64 digits: MD5, ' +
          'SHA-1, SHA-256, PDQ, blockhash) is looked up exactly in every bank; anything else is read as a URL ' +
          '(scheme optional), normalised as the lists normalise theirs, and looked up as a URL, a prefix, its ' +
          `host and its domains in every URL list. At most ${MAX_FOUND} entries.`,
        querystring: Type.Object(
          { q: Type.String({ minLength: 1, maxLength: 8192 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              searchedAs: Type.Union([Type.Literal('hash'), Type.Literal('url')]),
              entries: Type.Array(Found, { maxItems: MAX_FOUND }),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query.q.trim();
      if (HEX.test(q))
        return { searchedAs: 'hash' as const, entries: await findEntriesByHash(deps.db, q, MAX_FOUND) };
      const keys = urlSearchKeys(q);
      if (keys === null)
        throw badRequest('MOD_ERR_API_BAD_REQUEST', 'q is neither a hash in hex (32 to 64 digits) nor a URL');
      return { searchedAs: 'url' as const, entries: await findUrlListEntriesByKey(deps.db, keys, MAX_FOUND) };
    },
  );
}
