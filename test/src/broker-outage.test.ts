import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantWithKey } from '@mod/testing';
import {
  createWorld,
  makePhoto,
  multipart,
  rowCount,
  startPipeline,
  stopInOrder,
  waitScanned,
  type Pipeline,
  type World,
} from './helpers.js';
import { ownBroker, type OwnBroker } from './own-broker.js';

/**
 * The whole broker down (its only node stopped, then started again on the same data) while a platform uploads:
 * the API keeps the upload in its intake outbox and answers at once, a retry with the same Idempotency-Key gets
 * the same submission, and once the broker is back the upload is scanned exactly once.
 */
describe('an upload while the broker is down (a single-node cluster of its own, stopped and started)', () => {
  let broker: OwnBroker | undefined;
  let world: World | undefined;
  let pipeline: Pipeline | undefined;
  let key: string;

  beforeAll(async () => {
    broker = await ownBroker({ nodes: 1, port: 49092, name: 'mod-outage' });
    broker.kafkaSh('start');
    world = createWorld(broker.access());
    await world.ready;
    pipeline = await startPipeline(world);
    key = await tenantWithKey(world.db, { id: 'platform-1', kind: 'platform', role: 'platform' });
  }, 180_000);

  afterAll(async () => {
    await stopInOrder([
      ['pipeline', () => pipeline?.stop()],
      ['world', () => world?.drop()],
      ['broker', () => broker?.remove()],
    ]);
  }, 180_000);

  const upload = (bytes: Buffer, idempotencyKey: string) => {
    const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes });
    return pipeline!.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...body.headers, authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKey },
      payload: body.payload,
    });
  };
  const count = (sql: string, params: unknown[]) => rowCount(world!, sql, params);

  it('keeps the upload, answers its retry with the same submission, and scans it once when the broker is back', async () => {
    broker!.kafkaSh('stop');
    const photo = await makePhoto(71);
    const idempotencyKey = randomUUID();
    const started = Date.now();
    const first = await upload(photo, idempotencyKey);
    const answeredMs = Date.now() - started;
    console.info(`[outage] upload answered ${first.statusCode} in ${answeredMs} ms with the broker down`);
    expect(first.statusCode).toBe(202);
    const submissionId = first.json<{ submissionId: string }>().submissionId;
    // The client retries (it did not hear back, say): the same submission.
    const again = await upload(photo, idempotencyKey);
    expect(again.statusCode).toBe(202);
    expect(again.json<{ submissionId: string }>().submissionId).toBe(submissionId);
    expect(
      await count('select count(*)::int as n from media_outbox where submission_id = $1', [submissionId]),
    ).toBe(1);

    broker!.kafkaSh('start');
    const back = Date.now();
    await waitScanned(world!, 'the kept upload scanned', [submissionId], 120_000);
    console.info(`[outage] scanned ${Date.now() - back} ms after the broker started again`);
    expect(
      await count('select count(*)::int as n from submissions where idempotency_key = $1', [idempotencyKey]),
    ).toBe(1);
    expect(
      await count('select count(*)::int as n from verdicts where submission_id = $1', [submissionId]),
    ).toBe(1);
    expect(await count('select count(*)::int as n from media_outbox', [])).toBe(0);
  }, 240_000);
});
