import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_MEDIA_META_MAX_BYTES } from '@mod/api';
import { DefaultServicePrincipals } from '@mod/contracts';
import { applyAcls, largestMediaBytes, removeAcls, topicMaxMessageBytes } from '@mod/kafka';
import { makePhoto, read, waitFor, waitScanned } from './helpers.js';
import { MEDIA_MAX_MESSAGE_BYTES, useTrustScene } from './trust-boundaries-scene.js';

/**
 * The attack test of the trust-boundaries issue, through the real broker (SASL/SCRAM over TLS, ACLs) and the
 * real API: every finding, as an outsider and as a partner with credentials would try it. Here: intake never leaves an
 * orphan (an upload the media topic cannot carry, or one the broker refuses for a while).
 */

const scene = useTrustScene();

describe('intake without orphans', () => {
  it('accepts an upload of exactly the largest size the media topic carries, and refuses one byte more', async () => {
    const limit = largestMediaBytes(
      await topicMaxMessageBytes(scene.world.kafka, scene.world.topics.mediaSubmitted),
      API_MEDIA_META_MAX_BYTES,
    );
    expect(limit).toBeGreaterThan(MEDIA_MAX_MESSAGE_BYTES - API_MEDIA_META_MAX_BYTES - 200);
    expect(limit).toBeLessThan(MEDIA_MAX_MESSAGE_BYTES - API_MEDIA_META_MAX_BYTES);
    const photo = await makePhoto(43);
    // A real JPEG, padded after its end marker to the exact size.
    const exact = Buffer.concat([photo, Buffer.alloc(limit - photo.length)]);
    const before = await scene.countRows('select count(*)::int as n from submissions');
    const over = await scene.upload('platform-a', Buffer.concat([exact, Buffer.from([0])]));
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ error: { code: 'MOD_ERR_API_TOO_LARGE' } });
    expect(await scene.countRows('select count(*)::int as n from submissions')).toBe(before);

    const res = await scene.upload('platform-a', exact, {
      'idempotency-key': `exact-${randomUUID()}`,
    });
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    const published = await read(scene.world, scene.world.topics.mediaSubmitted, (r) =>
      r.some((m) => m.key === submissionId),
    );
    expect(published.find((m) => m.key === submissionId)?.value?.length).toBe(limit);
    await waitFor(
      'the verdict',
      async () =>
        (await scene.countRows('select count(*)::int as n from verdicts where submission_id = $1', [
          submissionId,
        ])) === 1,
    );
    expect(await scene.countRows('select count(*)::int as n from media_outbox')).toBe(0);
  });

  it('keeps an upload while the broker refuses it, publishes it when it can, and answers a retry with the same submission', async () => {
    // The broker refuses the API's writes to the media topic (its ACL removed): as good as an outage for intake.
    const apiWrite = {
      resourceType: 'topic' as const,
      patternType: 'literal' as const,
      name: scene.world.topics.mediaSubmitted,
      principal: `User:${DefaultServicePrincipals.api}`,
      operation: 'write' as const,
    };
    await removeAcls(scene.world.kafka, [apiWrite]);
    const photo = await makePhoto(44);
    const key = `retry-${randomUUID()}`;
    let submissionId: string;
    try {
      const first = await scene.upload('platform-a', photo, { 'idempotency-key': key });
      expect(first.statusCode).toBe(202);
      submissionId = first.json<{ submissionId: string }>().submissionId;
      // The client did not hear back, so it retries: the same submission, not a second one.
      const again = await scene.upload('platform-a', photo, { 'idempotency-key': key });
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json<{ submissionId: string }>().submissionId).toBe(submissionId);
      const reused = await scene.upload('platform-a', await makePhoto(45), {
        'idempotency-key': key,
      });
      expect(reused.statusCode).toBe(409);
      expect(reused.json()).toMatchObject({ error: { code: 'MOD_ERR_API_IDEMPOTENCY_CONFLICT' } });
      // Another tenant's same key is its own.
      const other = await scene.upload('platform-b', photo, { 'idempotency-key': key });
      expect(other.json<{ submissionId: string }>().submissionId).not.toBe(submissionId);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(
        await scene.countRows('select count(*)::int as n from media_outbox where submission_id = $1', [
          submissionId,
        ]),
      ).toBe(1);
      expect(
        await scene.countRows(
          `select count(*)::int as n from submissions where idempotency_key = $1 and tenant_id = 'platform-a'`,
          [key],
        ),
      ).toBe(1);
    } finally {
      await applyAcls(scene.world.kafka, [apiWrite]);
    }
    await waitScanned(scene.world, 'the kept upload scanned', [submissionId]);
    expect(await scene.countRows('select count(*)::int as n from media_outbox')).toBe(0);
  });
});
