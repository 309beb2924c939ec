import { Type } from '@fastify/type-provider-typebox';
import { MAX_CATEGORY_CHARS, MAX_NOTE_CHARS } from '@mod/curation';
import { Nullable, Text, Uuid } from './common.js';

/** Schemas of the URL-list routes (url-list-*.ts). */

/** Curators and admins manage URL lists; the lists are no tenant's. */
export const CURATOR_ROUTE = { roles: ['curator', 'admin'], tenant: 'none' } as const;

/** Entries per add or remove request. */
export const MAX_ENTRIES_PER_REQUEST = 1000;

export const Kind = Type.Union([
  Type.Literal('url'),
  Type.Literal('prefix'),
  Type.Literal('host'),
  Type.Literal('domain'),
]);
export const Policy = Type.Union([Type.Literal('automatic'), Type.Literal('review')]);
export const EntryId = Type.String({ pattern: '^[0-9]{1,18}$' });

export const UrlListBody = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    source: Type.String(),
    licence: Nullable(Type.String()),
    version: Nullable(Type.String()),
    enabled: Type.Boolean(),
    negative: Type.Boolean(),
    actionPolicy: Policy,
    entries: Type.Integer({ description: 'live entries' }),
  },
  { additionalProperties: false },
);

export const EntryBody = Type.Object(
  {
    id: EntryId,
    kind: Kind,
    pattern: Type.String({ description: 'as given' }),
    canonicalKey: Type.String({ description: 'the normalised key fetchers and feeds match on' }),
    dedicatedToAbuse: Type.Boolean(),
    block: Type.Boolean(),
    category: Nullable(Type.String()),
    provenance: Nullable(Type.String()),
    note: Nullable(Type.String()),
    addedAt: Type.String(),
    removedAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const EntryErrorBody = Type.Object(
  {
    index: Type.Integer({
      description: 'position in the request (from 0), or line number in a file (from 1)',
    }),
    code: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false },
);

export const NewEntry = Type.Object(
  {
    kind: Kind,
    pattern: Type.String({ minLength: 1, maxLength: 8192 }),
    dedicatedToAbuse: Type.Optional(Type.Boolean()),
    block: Type.Optional(Type.Boolean()),
    category: Type.Optional(Text(MAX_CATEGORY_CHARS)),
    note: Type.Optional(Text(MAX_NOTE_CHARS)),
  },
  { additionalProperties: false },
);

export const ListParams = Type.Object({ bankId: Uuid }, { additionalProperties: false });
