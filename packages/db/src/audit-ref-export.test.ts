import { describe, expect, it } from 'vitest';
import { appendAuditBatch, exportAuditBundle, signTreeHeadIfDue } from './domains/audit.js';
import { auditEntry, db, key, useAuditSchema } from './audit.test-helper.js';

// A case export finds records by the ids they mention, then keeps those the reader may see. A string that many
// records mention (a tenant id, a status, "takedown") is such an id too: an authority naming it made every one of
// those records go through the scope test, for an answer of a few or none.

useAuditSchema();

describe('case exports by a ref that many records mention', () => {
  it('are refused beyond ten times the export limit, whoever reads, before any record is scope-tested', async () => {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 30 }, (_, i) => auditEntry(i, { evidence: { status: { value: 'common' } } })),
    );
    await signTreeHeadIfDue(db.pool, {
      key,
      schedule: { everyRecords: 1, everyMs: 0 },
      topic: null,
      force: true,
    });
    const authority = { all: false as const, authorityTenantId: 'auth-a' };
    for (const reader of [authority, { all: true as const }])
      await expect(
        exportAuditBundle(
          db.pool,
          { kind: 'refs', refs: ['common'] },
          { signingKey: key, reader, maxRecords: 2 },
        ),
      ).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_TOO_MANY_RECORDS' });
    // Within the bound, the export is as ever: the authority reads none of these records, an admin all.
    const none = await exportAuditBundle(
      db.pool,
      { kind: 'refs', refs: ['common'] },
      { signingKey: key, reader: authority, maxRecords: 3 },
    );
    expect(none.entries).toEqual([]);
    const all = await exportAuditBundle(
      db.pool,
      { kind: 'refs', refs: ['common'] },
      { signingKey: key, maxRecords: 30 },
    );
    expect(all.entries).toHaveLength(30);
  });
});
