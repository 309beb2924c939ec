import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { createPerson, insertSession } from '@mod/db/people';
import { seedTenants } from '@mod/testing';
import {
  createWorld,
  kafkaPlatform,
  makePhoto,
  scanViaKafka,
  startPipeline,
  waitFor,
  type Partner,
  type Pipeline,
  type World,
} from './helpers.js';

// Review cases through the real stack: the classifier flags a picture (threshold near zero), seals it in the
// vault and the actioner opens a review case; a reviewer (a person with a session) finds it with its scores and
// model versions, claims it, sees a greyscale preview made on the server, reveals the original (audited), and
// confirms: the orders policy issues for it exist and the audit log names the reviewer. A second reviewer
// cannot decide the claimed case.

let world: World;
let partner: Partner;
let pipeline: Pipeline | undefined;

beforeAll(async () => {
  world = createWorld();
  await world.ready;
  partner = await kafkaPlatform(world);
  await seedTenants(world.db, [
    { id: 'isp-1', kind: 'isp' },
    { id: 'hotline-111', kind: 'hotline' },
  ]);
  pipeline = await startPipeline(
    world,
    { RISK_REVIEW_THRESHOLD: '0.000001', MOD_VAULT_MASTER_KEY: randomBytes(32).toString('base64') },
    { classifier: true },
  );
});
afterAll(async () => {
  await pipeline?.stop();
  await partner?.close();
  await world?.drop();
});

/**
 * A reviewer of the hotline with a signed-in session (its cookie and, from `GET /v1/session`, its CSRF token).
 * Signing in with password and TOTP is the sessions' own test; here the session is made in the database.
 */
async function reviewer(login: string): Promise<{ personId: string; headers: Record<string, string> }> {
  const made = await createPerson(world.db, {
    tenantId: 'hotline-111',
    login,
    displayName: login,
    role: 'reviewer',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    passwordExpiresAt: new Date(Date.now() + 3_600_000),
    createdBy: null,
  });
  if (!made.ok) throw new Error(made.reason);
  const token = randomBytes(32).toString('base64url');
  await insertSession(world.db, {
    tokenSha256: createHash('sha256').update(token).digest(),
    personId: made.person.id,
    stage: 'full',
    clientAddress: '127.0.0.1',
    now: new Date(),
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  const cookie = `__Host-mod-session=${token}`;
  const session = await pipeline!.app.inject({ url: '/v1/session', headers: { cookie } });
  const { csrfToken } = session.json<{ csrfToken: string }>();
  return { personId: made.person.id, headers: { cookie, 'x-csrf-token': csrfToken } };
}

describe('review cases through the real stack', () => {
  it('classifier flag -> case with scores -> claim, preview, reveal, confirm -> orders; audit names the reviewer', async () => {
    const ana = await reviewer('ana.review');
    const bao = await reviewer('bao.review');
    const call = (
      who: { headers: Record<string, string> },
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
    ) =>
      pipeline!.app.inject({
        method,
        url,
        headers: who.headers,
        ...(payload === undefined ? {} : { payload }),
      });

    const photo = await makePhoto(721, 480, 360);
    const verdict = await scanViaKafka(world, partner, photo);
    expect(verdict.decision).toBe('no-match');
    const caseId = await waitFor('the review case with its media', async () => {
      const listed = await call(ana, 'GET', '/v1/cases?tenantId=platform-1&limit=100');
      const found = listed
        .json<{ cases: { id: string; submissionId: string }[] }>()
        .cases.find((c) => c.submissionId === verdict.submissionId);
      if (found === undefined) return undefined;
      const one = await call(ana, 'GET', `/v1/cases/${found.id}`);
      return one.json<{ media: unknown }>().media !== null ? found.id : undefined;
    });

    const detail = await call(ana, 'GET', `/v1/cases/${caseId}`);
    const body = detail.json<{
      case: { riskScore: number };
      submission: { classification: { models: { id: string; version: string }[]; scores: object } };
      media: { state: string };
    }>();
    expect(body.case.riskScore).toBeGreaterThan(0);
    expect(body.submission.classification.models.length).toBeGreaterThan(0);
    expect(body.submission.classification.models.every((m) => m.version !== '')).toBe(true);
    expect(body.media.state).toBe('in-case');

    expect((await call(ana, 'POST', `/v1/cases/${caseId}/claim`)).statusCode).toBe(200);
    const taken = await call(bao, 'POST', `/v1/cases/${caseId}/decision`, {
      decision: 'dismiss',
      reason: 'mine',
    });
    expect([taken.statusCode, taken.json<{ error: { code: string } }>().error.code]).toEqual([
      409,
      'MOD_ERR_API_CASE_CLAIMED',
    ]);

    const preview = await call(ana, 'GET', `/v1/cases/${caseId}/preview`);
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toBe('image/jpeg');
    expect(preview.rawPayload.equals(photo)).toBe(false);
    const revealed = await call(ana, 'POST', `/v1/cases/${caseId}/reveal`);
    expect(revealed.rawPayload.equals(photo)).toBe(true);

    const done = await call(ana, 'POST', `/v1/cases/${caseId}/decision`, {
      decision: 'confirm',
      category: 'B',
      reason: 'seen and confirmed',
    });
    expect(done.statusCode).toBe(200);
    const { orderIds } = done.json<{ orderIds: string[] }>();
    expect(orderIds.length).toBeGreaterThanOrEqual(1);
    const orders = await world.db.query<{ target_tenant_id: string; subject_value: string }>(
      `select target_tenant_id, subject_value from orders where id = any($1)`,
      [orderIds],
    );
    expect(orders.rows).toContainEqual({ target_tenant_id: 'isp-1', subject_value: verdict.hashes.sha256 });

    const records = await listAudit(world.db, { limit: 100_000 });
    const byAna = (action: string) =>
      records.filter((r) => r.action === action && r.actor.kind === 'person' && r.actor.id === ana.personId);
    expect(byAna('case.claimed').map((r) => r.subject.id)).toEqual([caseId]);
    expect(byAna('case.confirmed').map((r) => r.subject.id)).toEqual([caseId]);
    expect(
      byAna('order.issued')
        .map((r) => r.subject.id)
        .sort(),
    ).toEqual([...orderIds].sort());
    expect(
      byAna('evidence.opened')
        .map((r) => r.reason)
        .sort(),
    ).toEqual(['preview', 'reveal']);
  });
});
