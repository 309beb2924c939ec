import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerAcls } from '@mod/contracts';
import { createTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { deleteTopics, listTopics, removeAcls } from '@mod/kafka';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { db, json, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';

// `modctl kafka partner grant|revoke` against the real broker (topics of this file's own prefix) and the real
// database: a partner's access to its topics changes only once the log holds the change.
const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
useModctlDatabase({ actor: 'ops', topicPrefix: prefix });
const tenant = 'isp-audited';
const principal = 'isp-audited-user';

beforeAll(async () => {
  await createTenant(db.pool, { id: tenant, kind: 'isp', name: 'Audited ISP', subscribedToBlocking: true });
});
afterAll(async () => {
  const { kafka } = kafkaFromEnv();
  await deleteTopics(kafka, await listTopics(kafka, (t) => t.startsWith(prefix)));
  await removeAcls(kafka, partnerAcls({ prefix, kind: 'isp', tenantId: tenant, principal }));
});

/** The log refuses every record (as when the database is read-only, full, or the audit tables refuse). */
async function logRefuses(refuses: boolean): Promise<void> {
  await db.pool.query(
    refuses
      ? `create function refuse_audit() returns trigger language plpgsql as $$
         begin raise exception 'the audit log is unavailable'; end $$;
         create trigger refuse_audit before insert on audit_records for each statement execute function refuse_audit()`
      : `drop trigger refuse_audit on audit_records; drop function refuse_audit()`,
  );
}

const partner = (action: 'grant' | 'revoke', exit: number) =>
  runExpecting(kafkaCommand, ['partner', action, '--tenant', tenant, '--principal', principal], exit);
const partnerTopics = async () => {
  const { kafka } = kafkaFromEnv();
  return listTopics(kafka, (t) => t.startsWith(prefix) && t.includes(tenant));
};
const records = async () => (await listAudit(db.pool)).filter((r) => r.subject.id === tenant);

describe('modctl kafka partner', () => {
  it('grants nothing when the grant cannot be put on record first', async () => {
    await logRefuses(true);
    try {
      await partner('grant', 1);
    } finally {
      await logRefuses(false);
    }
    // Neither the partner's topics nor (made after them) its ACLs: access the log does not know of.
    expect(await partnerTopics()).toEqual([]);
    expect(await records()).toEqual([]);

    const granted = await partner('grant', 0);
    expect(json(granted.out[0])).toMatchObject({ tenant, action: 'grant' });
    expect((await partnerTopics()).length).toBeGreaterThan(0);
    expect((await records()).map((r) => r.action)).toEqual(['kafka.partner.granted']);
  });

  it('revokes on record too', async () => {
    await partner('revoke', 0);
    expect((await records()).map((r) => r.action)).toEqual([
      'kafka.partner.granted',
      'kafka.partner.revoked',
    ]);
  });
});
