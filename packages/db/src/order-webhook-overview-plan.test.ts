import { describe, expect, it } from 'vitest';
import { appendAuditBatch, type AuditEntry } from './domains/audit.js';
import { withTransaction } from './index.js';
import { listWebhookOverviews } from './order-webhook-overview.js';
import { db, useAuditSchema } from './audit.test-helper.js';
import { explaining, rowsRead, scansOf, type PlanNode } from './explain.test-helper.js';
import { addTenants } from './testing.test-helper.js';

// What the admin's read of order webhooks reads in the audit log for a busy tenant, thousands of whose records
// name it and two of which set or cleared its webhook: those two at most (migration 0051's partial index
// audit_records_webhook_changes), never every record that names it. Counted in rows the plan read, never in time.

useAuditSchema();
const MENTIONS = 2_000;
const admin = { kind: 'user', id: 'admin-1' } as const;
const change = (action: string, tenantId: string): AuditEntry => ({
  actor: admin,
  action,
  subject: { type: 'tenant', id: tenantId },
  reason: null,
  evidence: { url: `https://hooks.example.org/${tenantId}` },
});
const mention = (i: number): AuditEntry => ({
  actor: admin,
  action: 'tenant.updated',
  subject: { type: 'tenant', id: 'isp-busy' },
  reason: `change ${i}`,
});

describe("the admin's read of order webhooks, what it reads of the audit log", () => {
  it('goes straight to each tenant’s last webhook change, past every other record naming it', async () => {
    await addTenants(db.pool, { 'isp-busy': 'isp', 'isp-quiet': 'isp', 'isp-other': 'isp' });
    const changes = await appendAuditBatch(db.pool, [
      change('webhook.set', 'isp-busy'),
      change('webhook.cleared', 'isp-busy'),
      change('webhook.set', 'isp-other'),
    ]);
    await appendAuditBatch(
      db.pool,
      Array.from({ length: MENTIONS }, (_, i) => mention(i)),
    );
    await db.pool.query('analyze audit_records, audit_refs');

    const plans: PlanNode[] = [];
    const page = await withTransaction(explaining(db.pool, 'api:webhook-overview', plans), (c) =>
      listWebhookOverviews(c, { kinds: ['isp'], limit: 10 }),
    );
    // The answer as before: the last change of each tenant, none for the one never set.
    expect(page.map((w) => [w.tenantId, w.lastChange?.action ?? null, w.lastChange?.seq ?? null])).toEqual([
      ['isp-busy', 'webhook.cleared', changes[1]?.seq],
      ['isp-other', 'webhook.set', changes[2]?.seq],
      ['isp-quiet', null, null],
    ]);
    expect(plans).toHaveLength(1);
    const scans = scansOf(plans[0] as PlanNode, ['audit_records', 'audit_refs']);
    expect(scans.map((n) => n['Index Name'])).toEqual(['audit_records_webhook_changes']);
    // One record at most for each of the three tenants (before: the 2,000 naming isp-busy, found through
    // audit_refs and each parsed).
    expect(scans.map(rowsRead).every((r) => r <= 3)).toBe(true);
  });
});
