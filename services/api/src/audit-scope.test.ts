import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appendAuditAlone, listAudit, signTreeHeadIfDue, type AuditBundle } from '@mod/db/audit';
import { type Order } from '@mod/db/orders';
import { insertSubmission } from '@mod/db/submissions';
import { useCallersWorld } from './callers-world.test-helper.js';
import { openTestOrder, statusAndCode } from './testing.test-helper.js';

/**
 * Audit records are scoped like the orders and submissions they describe (issue 17, finding 9): an authority
 * reads, proves and exports the records about what it may see, never another authority's notes and evidence;
 * admins read every record. Tree heads and consistency proofs stay every reader's.
 */

const get = (key: string, url: string) => api.call(key, 'GET', url);
const code = statusAndCode;
const issue = async (key: string, note: string, extra: Record<string, unknown> = {}) => {
  const res = await api.call(key, 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: 'plat-1',
    subject: { type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` },
    legalBasisId: 'vn-decree-147-request',
    note,
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>();
};
const seqOf = async (subjectId: string) => {
  const [record] = await listAudit(api.db, { subjectId });
  if (record === undefined) throw new Error(`no audit record about ${subjectId}`);
  return record.seq;
};
const signHead = async () => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const head = await signTreeHeadIfDue(api.db, {
      key: api.world.auditKey,
      schedule: { everyRecords: 1, everyMs: 0 },
      topic: null,
      force: true,
    });
    if (head !== null) return head;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no tree head signed');
};
const exported = async (key: string, query: string) => {
  const res = await get(key, `/v1/audit/export?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return { body: res.body, bundle: res.json<AuditBundle>() };
};

const api = useCallersWorld(
  { authA: ['auth-a', 'authority'], authB: ['auth-b', 'authority'], admin: ['ops', 'admin'] },
  { tenants: { 'plat-1': 'platform' } },
);

describe('audit records an authority reads', () => {
  it('are those about its own orders: another authority’s answer 404 and stay out of its exports', async () => {
    const ofA = await issue(api.keys.authA, 'A-note-5521');
    const ofB = await issue(api.keys.authB, 'B-note-7734');
    const [seqA, seqB] = [await seqOf(ofA.id), await seqOf(ofB.id)];
    const head = await signHead();

    // One record: its proof and evidence.
    expect((await get(api.keys.authA, `/v1/audit/records/${seqA}/inclusion-proof`)).statusCode).toBe(200);
    expect((await get(api.keys.authA, `/v1/audit/records/${seqA}/evidence`)).statusCode).toBe(200);
    for (const path of ['inclusion-proof', 'evidence'])
      expect(code(await get(api.keys.authA, `/v1/audit/records/${seqB}/${path}`))).toEqual([
        404,
        'MOD_ERR_API_NOT_FOUND',
      ]);
    expect((await get(api.keys.authB, `/v1/audit/records/${seqB}/inclusion-proof`)).statusCode).toBe(200);
    expect(code(await get(api.keys.authB, `/v1/audit/records/${seqA}/evidence`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);

    // A case export about the other authority's order holds nothing; about its own, its record.
    const foreign = await exported(api.keys.authA, `ref=${ofB.id}&treeSize=${head.treeSize}`);
    expect(foreign.bundle.entries).toEqual([]);
    expect(foreign.bundle.scope).toMatchObject({ kind: 'records', seqs: [], audience: 'authority:auth-a' });
    expect(foreign.body).not.toContain('B-note-7734');
    const own = await exported(api.keys.authA, `ref=${ofA.id}&treeSize=${head.treeSize}`);
    expect(own.bundle.entries.map((e) => e.leafIndex)).toEqual([seqA]);
    expect(own.body).toContain('A-note-5521');

    // A range export holds only the records the authority may read, and says whose view it is (signed).
    const range = await exported(
      api.keys.authA,
      `fromSeq=0&toSeq=${head.treeSize - 1}&treeSize=${head.treeSize}`,
    );
    expect(range.bundle.scope).toMatchObject({
      kind: 'records',
      fromSeq: 0,
      toSeq: head.treeSize - 1,
      audience: 'authority:auth-a',
    });
    expect(range.bundle.entries.map((e) => e.leafIndex)).toContain(seqA);
    expect(range.bundle.entries.map((e) => e.leafIndex)).not.toContain(seqB);
    expect(range.body).not.toContain('B-note-7734');
    expect(range.body).not.toContain(ofB.id);
    // Signed like any export (modctl verifies it offline: test/src/audit.test.ts).
    expect(range.bundle.scopeSignature?.keyId).toBe(api.world.auditKey.keyId);

    // Proofs that carry no record stay every reader's.
    expect((await get(api.keys.authA, `/v1/audit/consistency-proof?fromSize=1`)).statusCode).toBe(200);
    expect((await get(api.keys.authA, `/v1/audit/tree-heads/latest`)).statusCode).toBe(200);

    // Admins read every record.
    expect((await get(api.keys.admin, `/v1/audit/records/${seqB}/evidence`)).statusCode).toBe(200);
    const all = await exported(
      api.keys.admin,
      `fromSeq=0&toSeq=${head.treeSize - 1}&treeSize=${head.treeSize}`,
    );
    expect(all.bundle.scope).toMatchObject({ kind: 'range', audience: 'all' });
    expect(all.body).toContain('B-note-7734');
    expect(all.body).toContain('A-note-5521');
  });

  it('never include another authority’s request folded into its order, nor its order to the folder', async () => {
    const ofA = await issue(api.keys.authA, 'A-primary-note');
    const folded = await issue(api.keys.authB, 'B-folded-note', { subject: ofA.subject });
    expect(folded.folded).toBe(true);
    const head = await signHead();
    expect(code(await get(api.keys.authA, `/v1/audit/records/${await seqOf(folded.id)}/evidence`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(code(await get(api.keys.authB, `/v1/audit/records/${await seqOf(ofA.id)}/evidence`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    const ofAExport = await exported(api.keys.authA, `ref=${ofA.id}&treeSize=${head.treeSize}`);
    expect(ofAExport.body).not.toContain('B-folded-note');
    expect(ofAExport.body).not.toContain(folded.id);
    const mine = await exported(api.keys.authB, `ref=${folded.id}&treeSize=${head.treeSize}`);
    expect(mine.body).toContain('B-folded-note');
    expect(mine.body).not.toContain('A-primary-note');
  });

  it('about submissions and anything else: only what the authority may read, admins all', async () => {
    const submissionId = randomUUID();
    await insertSubmission(api.db, {
      id: submissionId,
      tenantId: 'plat-1',
      source: 'api',
      sha256: 'd'.repeat(64),
    });
    const verdict = await appendAuditAlone(api.db, {
      actor: { kind: 'service', id: 'actioner' },
      action: 'verdict.recorded',
      tenantId: 'plat-1',
      subject: { type: 'submission', id: submissionId },
      reason: 'match',
    });
    const bank = await appendAuditAlone(api.db, {
      actor: { kind: 'user', id: 'curator-key' },
      action: 'bank.created',
      subject: { type: 'bank', id: randomUUID() },
    });
    await signHead();
    expect(code(await get(api.keys.authA, `/v1/audit/records/${verdict.seq}/evidence`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(code(await get(api.keys.authA, `/v1/audit/records/${bank.seq}/inclusion-proof`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect((await get(api.keys.admin, `/v1/audit/records/${bank.seq}/inclusion-proof`)).statusCode).toBe(200);
    // An automatic order on the submission (awaiting any authority's confirmation): now it is evidence A sees.
    await openTestOrder(api.world, { targetTenantId: 'plat-1', submissionId });
    expect((await get(api.keys.authA, `/v1/audit/records/${verdict.seq}/evidence`)).statusCode).toBe(200);
  });
});

describe('audit exports by time', () => {
  it('refuse a leap second (valid RFC 3339 that no Date reads) with 400, as every other timestamp', async () => {
    await issue(api.keys.authA, 'leap-note');
    await signHead();
    const leap = encodeURIComponent('2030-06-30T23:59:60Z');
    const fine = encodeURIComponent('2030-07-01T00:00:00Z');
    for (const query of [`from=${leap}&to=${fine}`, `from=${fine}&to=${leap}`])
      expect(code(await get(api.keys.admin, `/v1/audit/export?${query}`)), query).toEqual([
        400,
        'MOD_ERR_API_VALIDATION',
      ]);
  });
});
