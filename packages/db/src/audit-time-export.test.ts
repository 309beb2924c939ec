import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifyBundle } from '@mod/audit';
import {
  appendAuditBatch,
  exportAuditBundle,
  signTreeHeadIfDue,
  verifyStoredLog,
  type StoredAuditRecord,
} from './domains/audit.js';
import { auditEntry, db, key, tamper, useAuditSchema } from './audit.test-helper.js';

// A time-range export picks its records by `recorded_at`, a column beside the record that the tree does not
// cover: whoever holds the database moves a record's copy of its time out of the window asked for, and the
// authority's bundle (its scope signed, every record proven) silently lacks it.

useAuditSchema();

let batches: StoredAuditRecord[][];
beforeEach(async () => {
  batches = [];
  for (let b = 0; b < 3; b++) {
    batches.push(await appendAuditBatch(db.pool, [auditEntry(2 * b), auditEntry(2 * b + 1)]));
    await sleep(5);
  }
  await signTreeHeadIfDue(db.pool, {
    key,
    schedule: { everyRecords: 1_000_000, everyMs: 3_600_000 },
    topic: null,
    force: true,
  });
});

/** The export of the second batch's time window: [its time, the third batch's time). */
const windowExport = () =>
  exportAuditBundle(
    db.pool,
    { kind: 'time', from: new Date(batches[1]?.[0]?.time ?? ''), to: new Date(batches[2]?.[0]?.time ?? '') },
    { signingKey: key },
  );

describe('time-range exports and recorded_at', () => {
  it('exports the records whose own time is in the window', async () => {
    const bundle = await windowExport();
    expect(bundle.scope).toMatchObject({ kind: 'range', fromSeq: 2, toSeq: 3 });
    expect(verifyBundle(bundle)).toMatchObject({ ok: true, records: 2 });
  });

  it('refuses a window the signed tree does not close: records appended later could still fall in it', async () => {
    // The window runs past the last signed record (into the future): a bundle signed now would say it holds
    // every record of the window, and one signed after the next append the same of other records.
    const open = { from: new Date(batches[2]?.[0]?.time ?? ''), to: new Date(Date.now() + 60_000) };
    const ahead = { from: new Date(Date.now() + 30_000), to: new Date(Date.now() + 60_000) };
    for (const window of [open, ahead])
      await expect(
        exportAuditBundle(db.pool, { kind: 'time', ...window }, { signingKey: key }),
      ).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE' });
    // Once a record after the window's records is in a signed head, the window is closed and exported.
    const last = await appendAuditBatch(db.pool, [auditEntry(6)]);
    await signTreeHeadIfDue(db.pool, {
      key,
      schedule: { everyRecords: 1, everyMs: 0 },
      topic: null,
      force: true,
    });
    const closed = await exportAuditBundle(
      db.pool,
      { kind: 'time', from: open.from, to: new Date(last[0]?.time ?? '') },
      { signingKey: key },
    );
    expect(closed.scope).toMatchObject({ kind: 'range', fromSeq: 4, toSeq: 5 });
  });

  it("refuses to export a window whose edge moved with a record's recorded_at, and the stored log names it", async () => {
    await tamper(
      'audit_records',
      `update audit_records set recorded_at = recorded_at + interval '1 hour' where seq = 3`,
    );
    await expect(windowExport()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 3 } },
    });
  });

  it('refuses a window that a moved recorded_at brought a record into', async () => {
    // seq 5 (of the third batch, after the window) now says it was recorded with seq 2: the window by
    // recorded_at would run to seq 5, holding seq 4 and 5, whose own times are after it.
    await tamper(
      'audit_records',
      `update audit_records set recorded_at = (select recorded_at from audit_records where seq = 2) where seq = 5`,
    );
    await expect(windowExport()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
  });

  it('refuses a window whose next record was rewritten to leave it', async () => {
    // The record's own time moved too (text and column): it no longer hashes to its leaf, and the export
    // does not sign a window that leaves it out on its word.
    await tamper(
      'audit_records',
      `update audit_records set recorded_at = recorded_at + interval '1 hour',
         record = replace(record, '"time":"' || to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"',
           '"time":"' || to_char((recorded_at + interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"')
       where seq = 3`,
    );
    const moved = await db.pool.query<{ record: string }>('select record from audit_records where seq = 3');
    expect(moved.rows[0]?.record).not.toContain(batches[1]?.[0]?.time);
    await expect(windowExport()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
  });
});
