import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { aclResourcesOf } from '@mod/kafka';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { refused, usePartnerStanding } from './kafka-standing.test-helper.js';
import { db, json, runExpecting } from './modctl-database.test-helper.js';
import { tenantCommand } from './tenant.js';

// A disabled tenant loses its power on the broker: `modctl kafka standing` suspends its partner principal (the
// broker refuses its produce) and lifts the suspension once it is enabled again; against the real broker, with a
// partner principal (SCRAM user) of this file's own, on topics of this file's own prefix.
const tenant = 'platform-standing';
const principal = 'modctl-standing-partner';
const { produce } = usePartnerStanding(tenant, principal);

const standing = async () =>
  json<{ changes: unknown[] }>((await runExpecting(kafkaCommand, ['standing'], 0)).out[0]);
const actions = async () =>
  (await listAudit(db.pool)).filter((r) => r.subject.id === tenant).map((r) => r.action);

describe('modctl kafka standing', () => {
  it("suspends a disabled tenant's partner principal on the broker, and restores it when the tenant is enabled", async () => {
    await runExpecting(kafkaCommand, ['partner', 'grant', '--tenant', tenant, '--principal', principal], 0);
    expect(await produce()).toBeNull();
    // In standing: nothing to change.
    expect((await standing()).changes).toEqual([]);

    await runExpecting(tenantCommand, ['disable', '--id', tenant], 0);
    expect((await standing()).changes).toEqual([{ tenant, principal, change: 'suspended' }]);
    expect(await produce()).toMatch(refused);
    // Idempotent, and an install or upgrade (setup) never gives the disabled tenant its access back.
    expect((await standing()).changes).toEqual([]);
    await runExpecting(kafkaCommand, ['setup'], 0);
    expect(await produce()).toMatch(refused);

    await runExpecting(tenantCommand, ['enable', '--id', tenant], 0);
    expect((await standing()).changes).toEqual([{ tenant, principal, change: 'restored' }]);
    expect(await produce()).toBeNull();
    expect(await actions()).toEqual([
      'kafka.partner.granted',
      'tenant.changed',
      'kafka.partner.suspended',
      'tenant.changed',
      'kafka.partner.restored',
    ]);
  });

  it("revoking a suspended partner's access removes its suspension with it", async () => {
    await runExpecting(tenantCommand, ['disable', '--id', tenant], 0);
    await standing();
    await runExpecting(kafkaCommand, ['partner', 'revoke', '--tenant', tenant, '--principal', principal], 0);
    expect(await aclResourcesOf(kafkaFromEnv().kafka, `User:${principal}`)).toEqual([]);
  });
});
