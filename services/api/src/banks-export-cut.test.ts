import { get, type IncomingMessage } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';

// A bank export whose database connection is lost mid-stream (`pg_terminate_backend`: a failover, an operator):
// the curator's download must end as cut short, never wait for ever on a response the API has stopped writing.

const api = useCallersWorld({ curator: ['hotline', 'curator'] });
let base = '';
beforeAll(async () => {
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
});

/** How the response ended: its body complete, or cut short (the connection closed before its end). */
function download(url: string, onFirstChunk: () => Promise<void>): Promise<'complete' | 'cut'> {
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      { headers: { authorization: `Bearer ${api.keys.curator}` } },
      (res: IncomingMessage) => {
        let first = true;
        res.on('data', () => {
          if (!first) return;
          first = false;
          res.pause();
          void onFirstChunk().then(() => res.resume(), reject);
        });
        res.on('error', () => resolve('cut'));
        res.on('close', () => resolve(res.complete ? 'complete' : 'cut'));
      },
    );
    req.on('error', () => resolve('cut'));
  });
}

describe('a bank export cut short by the database', () => {
  it("ends the curator's download as cut short when the export's connection is terminated", async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/banks',
      headers: { authorization: `Bearer ${api.keys.curator}` },
      payload: {
        name: `bank-cut-${crypto.randomUUID().slice(0, 8)}`,
        source: 'test',
        signalTypes: ['sha256'],
        actionPolicy: 'review',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const bank = created.json<{ id: string }>();
    await api.db.query(
      `insert into bank_entries (bank_id, signal, value)
       select $1, 'sha256', encode(sha256(i::text::bytea), 'hex') from generate_series(1, 300000) i`,
      [bank.id],
    );
    let terminated = 0;
    const ended = await download(`${base}/v1/banks/${bank.id}/export?format=csv`, async () => {
      const { rows } = await api.db.query<{ n: number }>(
        `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
         where state = 'active' and query like 'copy (select signal%' and pid <> pg_backend_pid()`,
      );
      terminated = rows[0]?.n ?? 0;
    });
    expect(terminated).toBe(1);
    expect(ended).toBe('cut');
  }, 60_000);
});
