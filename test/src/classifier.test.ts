import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '@mod/contracts';
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

let world: World;
let partner: Partner;

beforeAll(async () => {
  world = createWorld();
  await world.ready;
  partner = await kafkaPlatform(world);
});
afterAll(async () => {
  await partner?.close();
  await world?.drop();
});

const scan = (bytes: Buffer): Promise<Verdict> => scanViaKafka(world, partner, bytes);

describe('classifier in the pipeline (real Kafka and Postgres)', () => {
  let pipeline: Pipeline;
  afterAll(async () => pipeline?.stop());

  it('classifies unmatched media once per SHA-256, with scores and model versions, below the review threshold', async () => {
    pipeline = await startPipeline(world, { CLASSIFIER_THREADS: '1' });
    const photo = await makePhoto(501);
    const first = await scan(photo);
    expect(first.decision).toBe('no-match');
    const c = first.classification;
    expect(c).toBeTruthy();
    expect(c?.cached).toBe(false);
    expect(c?.models.map((m) => m.id).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/nsfw/)]),
    );
    expect(c!.scores.porn + c!.scores.hentai + c!.scores.sexy).toBeLessThan(0.5);
    expect(c?.risk.reviewRequired).toBe(false);

    const second = await scan(photo);
    expect(second.classification).toMatchObject({ cached: true, scores: c!.scores });
    const rows = await world.db.query('select sha256 from classifications');
    expect(rows.rowCount).toBe(1);
    // Below the threshold: no review case, and never an order.
    await waitFor('both verdicts recorded', async () => {
      const v = await world.db.query('select 1 from verdicts where submission_id = any($1)', [
        [first.submissionId, second.submissionId],
      ]);
      return v.rowCount === 2;
    });
    expect((await world.db.query(`select 1 from cases where kind = 'review'`)).rowCount).toBe(0);
    expect((await world.db.query('select 1 from orders')).rowCount).toBe(0);
    await pipeline.stop();
  });

  it('the same stored scores require review under a lower threshold: the decision follows configuration', async () => {
    pipeline = await startPipeline(world, { RISK_REVIEW_THRESHOLD: '0.000001' });
    const verdict = await scan(await makePhoto(501));
    expect(verdict.classification).toMatchObject({ cached: true, risk: { reviewRequired: true } });
    expect(verdict.classification?.risk.explanation).toMatch(/\S/);
    // Above the threshold: a review case opens with the scores and model versions as evidence; no order.
    const opened = await waitFor('a review case', async () => {
      const { rows } = await world.db.query<{ evidence: unknown; reason: string }>(
        `select evidence, reason from cases where kind = 'review' and submission_id = $1`,
        [verdict.submissionId],
      );
      return rows[0];
    });
    expect(JSON.stringify(opened.evidence)).toContain(String(verdict.classification?.risk.score));
    expect((await world.db.query('select 1 from orders')).rowCount).toBe(0);
  });
});
