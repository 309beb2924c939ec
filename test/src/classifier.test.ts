import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { Codecs, type Classified, type Verdict } from '@mod/contracts';
import { listAudit } from '@mod/db/audit';
import { createProducer } from '@mod/kafka';
import {
  makePhoto,
  read,
  scanViaKafka,
  seedKnownImage,
  startPipeline,
  waitFor,
  type Pipeline,
} from './helpers.js';
import { partner, usePlatformWorld, world } from './file-world.js';

usePlatformWorld();

const scan = (bytes: Buffer): Promise<Verdict> => scanViaKafka(world, partner, bytes);

/** The classifier's result for a submission, as published on the classifications topic. */
async function classifiedOf(submissionId: string): Promise<Classified> {
  const records = await read(world, world.topics.classifications, (r) =>
    r.some((m) => m.key === submissionId),
  );
  return Codecs.classified.decode(records.find((m) => m.key === submissionId)!.value);
}

const recorded = (submissionId: string) =>
  waitFor(`the classification of ${submissionId} recorded`, async () => {
    const { rows } = await world.db.query<{ classification: Classified['classification'] | null }>(
      'select classification from submissions where id = $1 and classified_at is not null',
      [submissionId],
    );
    return rows[0]?.classification;
  });

const metric = async (pipeline: Pipeline, name: string, labels: Record<string, string>): Promise<number> => {
  const m = await pipeline.registries.classifier.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
};

describe('the classifier stage (its own service, real Kafka and Postgres)', () => {
  let pipeline: Pipeline | undefined;
  afterAll(async () => pipeline?.stop());

  it('verdicts never wait for the model: they go out with the classifier stopped, which then catches up', async () => {
    pipeline = await startPipeline(world);
    const { known } = await seedKnownImage(world, pipeline, { seed: 777, isps: [] });
    const photo = await makePhoto(501);
    const unmatched = await scan(photo);
    expect(unmatched.decision).toBe('no-match');
    expect(unmatched.classification).toBeUndefined();
    const matched = await scan(known);
    expect(matched.decision).toBe('match');
    await pipeline.stop();

    // The classifier starts later, reads the same media in its own group, classifies only what matched nothing.
    pipeline = await startPipeline(world, { CLASSIFIER_THREADS: '1' }, { classifier: true });
    const classified = await classifiedOf(unmatched.submissionId);
    expect(classified).toMatchObject({
      submissionId: unmatched.submissionId,
      tenantId: 'platform-1',
      sha256: unmatched.hashes.sha256,
      classification: { cached: false, risk: { reviewRequired: false } },
    });
    const c = classified.classification;
    expect(c.models.map((m) => m.id)).toEqual(expect.arrayContaining([expect.stringMatching(/nsfw/)]));
    expect(c.scores.porn + c.scores.hentai + c.scores.sexy).toBeLessThan(0.5);
    expect(await recorded(unmatched.submissionId)).toMatchObject({ scores: c.scores });
    await waitFor('the matched media skipped', async () =>
      (await metric(pipeline!, 'mod_classifier_skipped_total', { reason: 'matched' })) >= 1
        ? true
        : undefined,
    );
    const { rows } = await world.db.query('select classified_at from submissions where id = $1', [
      matched.submissionId,
    ]);
    expect(rows[0]).toEqual({ classified_at: null });
    // Below the threshold: audited, no review case, never an order.
    // Read as the log is read (listAudit): a record's reason is kept beside it, committed to by its hashed bytes.
    const audit = (await listAudit(world.db, { limit: 100_000 })).filter(
      (r) => r.action === 'classification.recorded',
    );
    expect(audit).toEqual([
      expect.objectContaining({
        subject: { type: 'submission', id: unmatched.submissionId },
        reason: 'none',
      }),
    ]);
    expect((await world.db.query(`select 1 from cases where kind = 'review'`)).rowCount).toBe(0);
  });

  it('classifies each SHA-256 once: the same content again comes from the cache', async () => {
    const again = await scan(await makePhoto(501));
    const classified = await classifiedOf(again.submissionId);
    expect(classified.classification.cached).toBe(true);
    expect((await world.db.query('select sha256 from classifications')).rowCount).toBe(1);
  });

  it('above the review threshold the actioner opens a review case with the scores as evidence, and no order', async () => {
    await pipeline?.stop();
    pipeline = await startPipeline(world, { RISK_REVIEW_THRESHOLD: '0.000001' }, { classifier: true });
    const verdict = await scan(await makePhoto(501));
    const classified = await classifiedOf(verdict.submissionId);
    expect(classified.classification).toMatchObject({ cached: true, risk: { reviewRequired: true } });
    const opened = await waitFor('a review case', async () => {
      const { rows } = await world.db.query<{ evidence: unknown; reason: string }>(
        `select evidence, reason from cases where kind = 'review' and submission_id = $1`,
        [verdict.submissionId],
      );
      return rows[0];
    });
    expect(opened.reason).toMatch(/classifier risk/);
    expect(JSON.stringify(opened.evidence)).toContain(String(classified.classification.risk.score));
    expect((await world.db.query('select 1 from orders')).rowCount).toBe(0);
  });

  it('the actioner dead-letters a classification its database does not confirm, and drops a replay', async () => {
    const producer = await createProducer(world.kafka);
    const verdict = await scan(await makePhoto(502));
    const real = await classifiedOf(verdict.submissionId);
    const forged: Classified = { ...real, eventId: randomUUID(), submissionId: randomUUID() };
    const otherContent: Classified = { ...real, eventId: randomUUID(), sha256: 'a'.repeat(64) };
    // The real one again (a replay): the case is not opened twice.
    for (const c of [forged, otherContent, real])
      await producer.send({
        topic: world.topics.classifications,
        messages: [{ key: c.submissionId, value: Codecs.classified.encode(c) }],
      });
    await producer.disconnect();
    const letters = await read(world, world.topics.deadLetters, (r) => r.length >= 2);
    const codes = letters.map((l) => Codecs.deadLetter.decode(l.value).reason.code).sort();
    expect(codes).toEqual([
      'MOD_ERR_CLASSIFICATION_SUBMISSION_MISMATCH',
      'MOD_ERR_CLASSIFICATION_UNKNOWN_SUBMISSION',
    ]);
    // The replay is consumed (a dropped message) and adds no second case.
    const drops = async () => {
      const m = await pipeline!.registries.actioner.getSingleMetric('mod_step_outcomes_total')?.get();
      return m?.values.find((v) => v.labels['step'] === 'classification' && v.labels['outcome'] === 'drop')
        ?.value;
    };
    await waitFor('the replay dropped', async () => ((await drops()) ?? 0) >= 1);
    const cases = await world.db.query(`select 1 from cases where submission_id = $1`, [
      verdict.submissionId,
    ]);
    expect(cases.rowCount).toBe(1);
  });

  it('an animation whose second frame scores over the threshold, behind a benign first one, opens a review case naming that frame', async () => {
    await pipeline?.stop();
    // Between the risk of the benign sea (about 0) and that of the second photo (about 0.06).
    pipeline = await startPipeline(world, { RISK_REVIEW_THRESHOLD: '0.03' }, { classifier: true });
    const fixture = (name: string) =>
      readFileSync(new URL(`../../packages/classifier/fixtures/${name}`, import.meta.url));
    const size = { width: 160, height: 156 };
    const webp = await animationOf([fixture('sea.jpg'), fixture('face-adult.jpg')], {
      format: 'webp',
      ...size,
    });
    const verdict = await scan(webp);
    // The scanner hashed both frames and matched nothing: no case of its own.
    expect(verdict).toMatchObject({ decision: 'no-match', frames: { count: 2, examined: 2, hashed: 2 } });
    const classified = await classifiedOf(verdict.submissionId);
    expect(classified.classification).toMatchObject({
      cached: false,
      risk: { reviewRequired: true },
      frames: { count: 2, examined: 2, scored: 2, riskFrame: 1 },
    });
    const opened = await waitFor('a review case', async () => {
      const { rows } = await world.db.query<{ evidence: { classification?: unknown; caseReason?: unknown } }>(
        `select evidence from cases where kind = 'review' and submission_id = $1`,
        [verdict.submissionId],
      );
      return rows[0];
    });
    expect(opened.evidence.classification).toEqual({
      riskScore: classified.classification.risk.score,
      reviewRequired: true,
      apparentMinor: false,
      frames: { count: 2, examined: 2, scored: 2, riskFrame: 1 },
    });
    expect(opened.evidence.caseReason).toMatchObject({ code: 'review-classifier' });
  });
});
