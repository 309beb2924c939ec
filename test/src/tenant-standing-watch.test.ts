import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerSuspension, partnerTopic } from '@mod/contracts';
import { updateTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { removeAcls } from '@mod/kafka';
import { DATABASE_URL, publishPartnerMedia, waitFor } from './helpers.js';
import { freePort } from './processes.js';
import { trySend, useTrustScene } from './trust-boundaries-scene.js';

// A tenant an admin disables stops being acted on and stops being taken by the broker, with nobody running
// `modctl kafka standing`: the standing watcher (`modctl kafka standing --watch`, the executable, as the admin
// principal) suspends its partner principal once it sees the change, and a record that reaches the topic before
// the suspension (the watcher held still with SIGSTOP: the gap, made to last) is dead-lettered with
// MOD_ERR_TENANT_DISABLED, never turned into an order. Enabling the tenant restores both. Real broker, real
// PostgreSQL, the scanner and the actioner of the pipeline.

const scene = useTrustScene();
const MODCTL = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
let watcher: ChildProcess;
let metricsUrl = '';
const lines: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const { world } = scene;
  watcher = spawn(
    process.execPath,
    [MODCTL, 'kafka', 'standing', '--watch', '--poll-ms', '200', '--ops-port', String(port)],
    {
      env: {
        ...world.cluster.env,
        TOPIC_PREFIX: world.prefix,
        DATABASE_URL,
        DATABASE_SCHEMA: world.schema,
        MODCTL_ACTOR: 'e2e-standing',
        OPS_HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  for (const stream of [watcher.stdout, watcher.stderr])
    stream?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  await waitFor('the watcher’s first pass over every partner', async () =>
    /mod_kafka_standing_passes_total\{[^}]*scope="all"[^}]*outcome="ok"[^}]*\} [1-9]/.test(await metrics()),
  );
}, 120_000);

afterAll(async () => {
  if (watcher.exitCode === null) {
    watcher.kill('SIGCONT');
    const exited = new Promise((r) => watcher.once('exit', r));
    watcher.kill('SIGTERM');
    await exited;
  }
  const { world } = scene;
  const owned = { prefix: world.prefix, kind: 'platform' as const, tenantId: 'platform-b' };
  await removeAcls(world.kafka, partnerSuspension({ ...owned, principal: 'e2e-partner-b' })).catch(
    () => undefined,
  );
});

async function metrics(): Promise<string> {
  return fetch(metricsUrl).then(
    (r) => r.text(),
    () => '',
  );
}

const inbound = () => partnerTopic(scene.world.prefix, 'mediaSubmitted', 'platform-b');
const sendAsPlatformB = () => trySend(scene.platformB.kafka, inbound(), 'x');
const ordersOf = (submissionId: string) =>
  scene.countRows(`select count(*)::int as n from order_submissions where submission_id = $1`, [
    submissionId,
  ]);
const verdictsOf = (submissionId: string) =>
  scene.countRows(`select count(*)::int as n from verdicts where submission_id = $1`, [submissionId]);
const setDisabled = (disabled: boolean) =>
  updateTenant(scene.world.db, 'platform-b', { disabled }, new Date());

describe('the standing of a disabled tenant, without a standing run by hand', () => {
  it('is not acted on in the gap, is refused by the broker once the watcher sees it, and is restored when enabled', async () => {
    // In standing: its media is scanned and acted on.
    const before = await publishPartnerMedia(scene.world, scene.platformB, scene.known);
    await waitFor('a verdict on the enabled tenant’s media', async () => (await verdictsOf(before)) === 1);

    // The watcher held still: the broker still takes the disabled tenant's record, which nothing acts on.
    watcher.kill('SIGSTOP');
    await setDisabled(true);
    const inGap = await publishPartnerMedia(scene.world, scene.platformB, scene.known);
    expect((await scene.deadLettersFor(inGap)).map((l) => l.reason.code)).toEqual([
      'MOD_ERR_TENANT_DISABLED',
    ]);
    expect([await verdictsOf(inGap), await ordersOf(inGap)]).toEqual([0, 0]);

    // The watcher goes on: the broker refuses the tenant's produce.
    watcher.kill('SIGCONT');
    const refusal = await waitFor('the broker refusing platform-b', async () => {
      const answer = await sendAsPlatformB();
      return answer !== null && /not authorized|authorization/i.test(answer) ? answer : undefined;
    });
    expect(refusal).toMatch(/authoriz/i);
    expect(await metrics()).toMatch(/mod_kafka_standing_changes_total\{[^}]*change="suspended"[^}]*\} 1/);

    await setDisabled(false);
    await waitFor('the broker taking platform-b again', async () => (await sendAsPlatformB()) === null);
    // The workers' tenant cache holds a standing for at most 5 s: past it, the enabled tenant is acted on again.
    await new Promise((r) => setTimeout(r, 5_500));
    const after = await publishPartnerMedia(scene.world, scene.platformB, scene.known);
    await waitFor('a verdict on the enabled tenant’s media', async () => (await verdictsOf(after)) === 1);
    expect(await metrics()).toMatch(/mod_kafka_standing_changes_total\{[^}]*change="restored"[^}]*\} 1/);
    const audited = (await listAudit(scene.world.db)).filter((r) => r.action.startsWith('kafka.partner.'));
    expect(audited.map((r) => [r.action, r.subject.id, r.actor.id])).toEqual([
      ['kafka.partner.suspended', 'platform-b', 'modctl:e2e-standing'],
      ['kafka.partner.restored', 'platform-b', 'modctl:e2e-standing'],
    ]);
  });
});
