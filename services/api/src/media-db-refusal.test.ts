import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';
import { multipartBody } from './testing.test-helper.js';

/**
 * `POST /v1/media` while PostgreSQL refuses the write for a reason of its own state, not of the request: disk full
 * (53100), a primary demoted to a read-only standby by a failover (25006), a backend shut down (57P01). A trigger on
 * the schema's submissions raises each, as the server does. The client was told 500 MOD_ERR_API_INTERNAL, which a
 * partner's client reads as a permanent failure of its upload; it is told 503 (try again), and the same upload
 * under the same Idempotency-Key is accepted once the database writes again, as one submission.
 */

const api = useCallersWorld({ plat: ['plat-db', 'platform'] });

const upload = (idempotencyKey: string, media: Buffer) => {
  const body = multipartBody(media);
  return api.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: {
      authorization: `Bearer ${api.keys.plat}`,
      'content-type': body.contentType,
      'idempotency-key': idempotencyKey,
    },
    payload: body.payload,
  });
};

describe('POST /v1/media while the database refuses writes', () => {
  for (const [state, what] of [
    ['53100', 'disk full'],
    ['25006', 'read-only (a demoted primary)'],
    ['57P01', 'shutting down'],
  ] as const) {
    it(`answers 503 on ${state} (${what}), then accepts the same upload once`, async () => {
      await api.db.query(
        `create function refuse_write() returns trigger language plpgsql as $$
         begin raise exception 'refused as the server does' using errcode = '${state}'; end $$`,
      );
      await api.db.query(
        `create trigger refuse_write before insert on submissions for each row execute function refuse_write()`,
      );
      const key = `refused-${randomUUID()}`;
      const media = randomBytes(700);
      let refused;
      try {
        refused = await upload(key, media);
      } finally {
        await api.db.query(`drop trigger refuse_write on submissions`);
        await api.db.query(`drop function refuse_write()`);
      }
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_UNAVAILABLE');

      const accepted = await upload(key, media);
      expect(accepted.statusCode, accepted.body).toBe(202);
      const again = await upload(key, media);
      expect(again.json<{ submissionId: string }>().submissionId).toBe(
        accepted.json<{ submissionId: string }>().submissionId,
      );
      const { rows } = await api.db.query<{ n: number }>(
        `select count(*)::int as n from submissions where idempotency_key = $1`,
        [key],
      );
      expect(rows[0]?.n).toBe(1);
    });
  }
});
