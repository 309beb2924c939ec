import { Type } from '@fastify/type-provider-typebox';
import { isModError } from '@mod/contracts';
import { AuditLogErrorCode, eraseAuditText } from '@mod/db/audit';
import { auditActorOf, principalOf } from '../auth.js';
import { ApiError, ApiErrorCodes, type ApiErrorCode } from '../errors.js';
import { ADMIN_ROUTE } from './access-schemas.js';
import { ErrorResponses, Text, Timestamp, type RouteDeps, type TypedApp } from './common.js';

/** A record's erasable free text, kept beside the log, as bundle entries carry it (`texts` of @mod/audit). */
export const RecordTexts = Type.Record(
  Type.String(),
  Type.Union([
    Type.Object({
      text: Type.String(),
      salt: Type.String({
        description: 'hex; SHA-256("mod.audit.text.v1\\0" ‖ field ‖ "\\0" ‖ salt ‖ text)',
      }),
    }),
    Type.Object({ erasedAt: Timestamp }),
  ]),
  {
    description:
      'erasable free text of a record that commits to it (commitments), by field: the text and its salt, or when it was erased',
  },
);

const Erased = Type.Object({
  seq: Type.Integer({ minimum: 0 }),
  field: Type.String(),
  erasedAt: Timestamp,
  erasureSeq: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'the audit.text_erased record appended; null when the text was erased before (nothing done)',
  }),
});

/** The log's refusals of an erasure, as the API answers them (409 both). */
const REFUSALS: Readonly<Record<string, ApiErrorCode>> = {
  [AuditLogErrorCode.NOT_ERASABLE]: 'MOD_ERR_API_AUDIT_NOT_ERASABLE',
  [AuditLogErrorCode.TEXT_HELD]: 'MOD_ERR_API_AUDIT_TEXT_HELD',
};

/**
 * `POST /v1/audit/records/:seq/texts/:field/erase` (admins): erases a record's free text kept beside the log
 * (`eraseAuditText` of @mod/db): the log still verifies, and the erasure is itself an audit record naming the
 * admin, the record and the field, appended in the same transaction. A record without an erasable text (none, or
 * legacy: its text inside the hashed bytes) answers 409 MOD_ERR_API_AUDIT_NOT_ERASABLE; a text a legal hold keeps (its
 * record is about a held report or evidence item, as the retention pass keeps it) 409 MOD_ERR_API_AUDIT_TEXT_HELD.
 */
export async function auditEraseRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.post(
    '/records/:seq/texts/:field/erase',
    {
      config: ADMIN_ROUTE,
      schema: {
        params: Type.Object({
          seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
          field: Type.Literal('reason'),
        }),
        body: Type.Optional(
          Type.Object(
            // The API's rule of free text (no controls, no bidi overrides), as every other reason has it.
            { reason: Type.Optional(Text(2000)) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Erased, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      try {
        const done = await eraseAuditText(deps.db, {
          seq: req.params.seq,
          field: req.params.field,
          actor: auditActorOf(p),
          role: p.role,
          reason: req.body?.reason ?? null,
        });
        return {
          seq: done.seq,
          field: done.field,
          erasedAt: done.erasedAt,
          erasureSeq: done.record?.seq ?? null,
        };
      } catch (err) {
        const code = isModError(err) ? REFUSALS[err.code] : undefined;
        throw code === undefined ? err : new ApiError(ApiErrorCodes[code], code, (err as Error).message);
      }
    },
  );
}
