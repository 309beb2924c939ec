import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';

/**
 * `POST /v1/media` under retry: the same Idempotency-Key with the same request answers the first submission;
 * with other media or other fields it is refused (409), never answered with a submission that silently dropped
 * what this request said; another tenant's key is its own.
 */

const api = useCallersWorld({ platA: ['plat-a', 'platform'], platB: ['plat-b', 'platform'] });

function multipart(media: Buffer, fields: Record<string, string>): { payload: Buffer; contentType: string } {
  const boundary = `----media${randomUUID()}`;
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const payload = Buffer.concat([
    Buffer.from(parts.join('')),
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="media"; filename="x.png"\r\ncontent-type: image/png\r\n\r\n`,
    ),
    media,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

const upload = (key: string, idempotencyKey: string, media: Buffer, fields: Record<string, string> = {}) => {
  const body = multipart(media, fields);
  return api.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': body.contentType,
      'idempotency-key': idempotencyKey,
    },
    payload: body.payload,
  });
};

describe('POST /v1/media under retry', () => {
  it('replays only the same request; other fields under the same key are refused, not dropped', async () => {
    const key = `upload-${randomUUID()}`;
    const media = randomBytes(512);
    const fields = { externalRef: 'post-1', reportedCategory: 'csam' };
    const first = await upload(api.keys.platA, key, media, fields);
    expect(first.statusCode, first.body).toBe(202);
    const id = first.json<{ submissionId: string }>().submissionId;

    const again = await upload(api.keys.platA, key, media, fields);
    expect(again.statusCode, again.body).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<{ submissionId: string }>().submissionId).toBe(id);

    for (const other of [
      { externalRef: 'post-2', reportedCategory: 'csam' },
      { externalRef: 'post-1', reportedCategory: 'other' },
      { externalRef: 'post-1' },
      {},
    ] as Record<string, string>[]) {
      const reused = await upload(api.keys.platA, key, media, other);
      expect(reused.statusCode, reused.body).toBe(409);
      expect(reused.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_IDEMPOTENCY_CONFLICT');
    }
    const otherMedia = await upload(api.keys.platA, key, randomBytes(512), fields);
    expect(otherMedia.statusCode).toBe(409);

    // The submission is as first sent.
    const read = await api.call(api.keys.platA, 'GET', `/v1/submissions/${id}`);
    expect(read.json()).toMatchObject({ id, externalRef: 'post-1', reportedCategory: 'csam' });
    // Another tenant's same key is a new submission of its own.
    const ofB = await upload(api.keys.platB, key, media, fields);
    expect(ofB.statusCode, ofB.body).toBe(202);
    expect(ofB.headers['idempotent-replayed']).toBeUndefined();
    expect(ofB.json<{ submissionId: string }>().submissionId).not.toBe(id);
  });

  it('gives concurrent retries of one request one submission', async () => {
    const key = `upload-${randomUUID()}`;
    const media = randomBytes(512);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => upload(api.keys.platA, key, media, { externalRef: 'burst' })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(202));
    expect(new Set(answers.map((a) => a.json<{ submissionId: string }>().submissionId)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
  });
});
