import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultPartnerQuotas, partnerAcls } from '@mod/contracts';
import { createTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import {
  deleteTopics,
  listTopics,
  removeAcls,
  removeUserQuotas,
  setUserQuotas,
  userQuotasOf,
} from '@mod/kafka';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { db, json, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';

// `modctl kafka partner grant|revoke` against the real broker (topics of this file's own prefix) and the real
// database: a partner's access to its topics changes only once the log holds the change.
const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
useModctlDatabase({ actor: 'ops', topicPrefix: prefix });
const tenant = 'isp-audited';
// Its own on the shared broker: a principal holding ACLs of an earlier run's tenant would be refused.
const principal = `isp-audited-${prefix.slice(2, 10)}`;

beforeAll(async () => {
  await createTenant(db.pool, { id: tenant, kind: 'isp', name: 'Audited ISP', subscribedToBlocking: true });
});
afterAll(async () => {
  const { kafka } = kafkaFromEnv();
  await deleteTopics(kafka, await listTopics(kafka, (t) => t.startsWith(prefix)));
  for (const tenantId of [tenant, 'isp-other'])
    await removeAcls(kafka, partnerAcls({ prefix, kind: 'isp', tenantId, principal }));
  await removeUserQuotas(kafka, principal);
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

const partner = (action: 'grant' | 'revoke', exit: number, more: string[] = []) =>
  runExpecting(
    kafkaCommand,
    ['partner', action, '--tenant', tenant, '--principal', principal, ...more],
    exit,
  );
const quotas = () => userQuotasOf(kafkaFromEnv().kafka, principal);
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
    // The brokers are every tenant's: the partner's principal is bounded in what it produces, fetches and asks.
    expect(await quotas()).toEqual(DefaultPartnerQuotas.isp);
    expect((await records())[0]?.reason).toMatch(
      /; quotas: 4194304 B\/s produced, 8388608 B\/s fetched, 25% of/,
    );
  });

  it("refuses a principal that holds other access (another tenant's, a service's): it would act as both", async () => {
    await createTenant(db.pool, {
      id: 'isp-other',
      kind: 'isp',
      name: 'Other ISP',
      subscribedToBlocking: true,
    });
    const before = (await listAudit(db.pool)).length;
    // This tenant's principal, named for another tenant (a copy-paste): it would write that ISP's observed URLs and
    // read its blocking requests. A service's principal (ACLs from kafka setup): the scanner would speak as an ISP.
    for (const taken of [principal, 'mod-scanner']) {
      const run = await runExpecting(
        kafkaCommand,
        ['partner', 'grant', '--tenant', 'isp-other', '--principal', taken],
        1,
      );
      expect(json(run.err.at(-1)), taken).toMatchObject({ error: { code: 'MOD_ERR_CLI_PRINCIPAL_TAKEN' } });
    }
    const { kafka } = kafkaFromEnv();
    expect(await listTopics(kafka, (t) => t.startsWith(prefix) && t.includes('isp-other'))).toEqual([]);
    expect((await listAudit(db.pool)).length).toBe(before);
    // The tenant's own principal granted again is allowed, with the quotas given this time.
    for (const bad of [
      ['--request-percentage', '0'],
      ['--produce-bytes-per-second', '1e6'],
    ])
      await partner('grant', 2, bad);
    await partner('grant', 0, ['--produce-bytes-per-second', '1048576', '--request-percentage', '10']);
    expect(await quotas()).toEqual({
      ...DefaultPartnerQuotas.isp,
      produceBytesPerSecond: 1_048_576,
      requestPercentage: 10,
    });
  });

  it('revokes on record too', async () => {
    await partner('revoke', 0);
    expect((await records()).map((r) => r.action)).toEqual([
      'kafka.partner.granted',
      'kafka.partner.granted',
      'kafka.partner.revoked',
    ]);
    expect(await quotas()).toEqual({});
  });
});

describe('modctl kafka setup and partners granted before quotas', () => {
  it("gives a partner's principal without quotas its kind's defaults, and leaves an operator's quotas alone", async () => {
    await partner('grant', 0);
    const { kafka } = kafkaFromEnv();
    // As granted before `partner grant` set quotas: the partner's producing and fetching took the brokers unbounded.
    await removeUserQuotas(kafka, principal);
    expect(await quotas()).toEqual({});
    const setup = await runExpecting(kafkaCommand, ['setup'], 0);
    expect(json(setup.out[0])).toMatchObject({ quotas: [principal] });
    expect(await quotas()).toEqual(DefaultPartnerQuotas.isp);
    // Set by the operator: kept, and not reported again.
    const own = { ...DefaultPartnerQuotas.isp, produceBytesPerSecond: 1024 };
    await setUserQuotas(kafka, principal, own);
    expect(json((await runExpecting(kafkaCommand, ['setup'], 0)).out[0])).toMatchObject({ quotas: [] });
    expect(await quotas()).toEqual(own);
    await partner('revoke', 0);
  });
});
