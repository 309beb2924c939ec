import { describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';
import { trafficLines } from './isp-traffic.test-helper.js';
import { bearer } from './testing.test-helper.js';

/*
 * An upload with an Idempotency-Key deletes, once a minute per instance, the keys whose window ended: housekeeping
 * that is not the upload's. A prune that fails (here a trigger of this test's schema refuses every delete of the
 * table) is logged and tried again a minute later; the upload is queued all the same. Real broker and PostgreSQL.
 */
const api = useCallersWorld({ ispA: ['isp-a', 'isp'] });

describe('a traffic-sample upload whose prune of ended keys fails', () => {
  it('is queued (202), and replayed under its key, though the prune failed', async () => {
    await api.db.query(`
      create function refuse_traffic_prune() returns trigger language plpgsql as
        $$ begin raise exception 'prune refused by the test'; end $$;
      create trigger refuse_traffic_prune before delete on isp_traffic_uploads
        for each statement execute function refuse_traffic_prune();`);
    const body = trafficLines(3, 'prune.example').join('\n');
    const upload = () =>
      api.app.inject({
        method: 'POST',
        url: '/v1/isp/traffic-samples',
        headers: {
          ...bearer(api.keys.ispA),
          'content-type': 'application/x-ndjson',
          'idempotency-key': 'prune-fails',
        },
        payload: body,
      });
    // Before: 500, the prune's error the upload's.
    const first = await upload();
    expect(first.statusCode, first.body).toBe(202);
    const again = await upload();
    expect(again.statusCode, again.body).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });
});
