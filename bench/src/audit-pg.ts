/**
 * Postgres audit log benchmark (issue 8): the real append path (`appendAuditBatch`: advisory lock, strict
 * record, evidence documents, Merkle nodes through the Postgres MerkleStore) and proof latency in a large
 * tree stored in `audit_merkle_nodes`.
 *
 *   pnpm exec tsc -b bench && node bench/dist/audit-pg.js     (AUDIT_PG_BENCH_LEAVES=10000000 for 10M)
 *
 * Uses a fresh schema of the local database (DATABASE_URL) and drops it at the end. Building 10M leaves takes
 * minutes: AUDIT_PG_BENCH_KEEP=1 keeps the schema (its name is printed), and AUDIT_PG_BENCH_SCHEMA=<name>
 * measures only the proofs again in a kept schema. After the bulk load it runs CHECKPOINT, which needs
 * `grant pg_checkpoint to <role>` (as a superuser); without it the proofs are timed while Postgres is still
 * writing the load out, and their tail shows that.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateSigningKeyPair, loadSigningKey } from '@mod/audit';
import { createPool, withTransaction, type Pool } from '@mod/db';
import {
  appendAudit,
  appendAuditBatch,
  auditConsistencyProof,
  auditInclusionProof,
  signTreeHeadIfDue,
  warmAuditProofCache,
  type AuditEntry,
} from '@mod/db/audit';
import { createTestSchema } from '@mod/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, pct } from './report-format.js';

const LEAVES = Number(process.env.AUDIT_PG_BENCH_LEAVES ?? 4_194_304);
const APPEND_RECORDS = 5_000;
const SUSTAINED_S = 10;
const PROOF_SAMPLES = 1_000;

function entry(i: number): AuditEntry {
  return {
    actor: { kind: 'service', id: 'actioner' },
    action: i % 2 === 0 ? 'verdict.recorded' : 'order.issued',
    tenantId: `tn_${i % 7}`,
    subject: {
      type: i % 2 === 0 ? 'submission' : 'order',
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    },
    reason: 'match',
    evidence: {
      sha256: (i + 1).toString(16).padStart(64, '0'),
      hits: [{ bankId: 'b-1', entryId: i, signal: 'blockhash', distance: i % 11 }],
    },
    versions: { policy: '7', scanner: '1.0.0' },
  };
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `# audit (Postgres) benchmark\nmachine: ${cpu}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GB RAM, Node ${process.version}`,
  );
  const reuse = process.env['AUDIT_PG_BENCH_SCHEMA'];
  const keep = reuse !== undefined || process.env['AUDIT_PG_BENCH_KEEP'] === '1';
  const db =
    reuse === undefined
      ? await createTestSchema()
      : {
          schema: reuse,
          pool: createPool({
            connectionString:
              process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation',
            schema: reuse,
            max: 5,
            applicationName: 'bench',
          }),
          drop: () => Promise.resolve(),
        };
  const pool = db.pool;
  const { rows: ver } = await pool.query<{ v: string }>("select current_setting('server_version') as v");
  console.log(`postgres ${ver[0]?.v ?? '?'} on loopback; schema ${db.schema}`);
  try {
    const base = reuse === undefined ? await appendsAndBuild(pool) : 0;
    await proofs(pool, base);
  } finally {
    if (keep) {
      console.log(`kept schema ${db.schema} (AUDIT_PG_BENCH_SCHEMA=${db.schema} measures its proofs again)`);
      await pool.end();
    } else await db.drop();
  }
}

/** Append benchmarks, then a tree of LEAVES leaves continuing the log; returns the first synthetic leaf. */
async function appendsAndBuild(pool: Pool): Promise<number> {
  {
    // ---- appends ----
    console.log(`\n## append (${fmt(APPEND_RECORDS, 0)} records per batch size; one transaction per batch)`);
    await pool.query('create table bench_plain (seq bigint primary key, record text not null)');
    const texts = Array.from({ length: APPEND_RECORDS }, (_, i) => JSON.stringify(entry(i)));
    let t0 = performance.now();
    for (let i = 0; i < APPEND_RECORDS; i += 100) {
      await withTransaction(pool, (c) =>
        c.query('insert into bench_plain select * from unnest($1::bigint[], $2::text[])', [
          texts.slice(i, i + 100).map((_, j) => i + j),
          texts.slice(i, i + 100),
        ]),
      );
    }
    const baseUs = ((performance.now() - t0) * 1000) / APPEND_RECORDS;
    console.log(`baseline: plain INSERT of the JSON text, batches of 100: ${fmt(baseUs, 1)} µs/record`);
    console.log('batch  records/s   ms/record   ratio vs baseline   goal <= 1 ms/record');
    let n = 0;
    for (const batch of [1, 10, 100]) {
      t0 = performance.now();
      for (let i = 0; i < APPEND_RECORDS; i += batch) {
        await appendAuditBatch(
          pool,
          Array.from({ length: batch }, (_, j) => entry(n + i + j)),
        );
      }
      n += APPEND_RECORDS;
      const ms = (performance.now() - t0) / APPEND_RECORDS;
      console.log(
        `${String(batch).padStart(5)}  ${fmt(1000 / ms, 0).padStart(9)}   ${fmt(ms, 3).padStart(9)}   ${fmt((ms * 1000) / baseUs, 1).padStart(16)}x   ${ms <= 1 ? 'met' : 'MISSED'}`,
      );
    }
    // The actioner's shape: a verdict and two orders appended one by one inside one transaction.
    t0 = performance.now();
    for (let i = 0; i < APPEND_RECORDS; i += 3) {
      await withTransaction(pool, async (c) => {
        for (let j = 0; j < 3; j++) await appendAudit(c, entry(n + i + j));
      });
    }
    n += APPEND_RECORDS + (3 - (APPEND_RECORDS % 3));
    const txMs = (performance.now() - t0) / APPEND_RECORDS;
    console.log(`appendAudit x3 per transaction (actioner shape): ${fmt(txMs, 3)} ms/record`);

    // Sustained: 1,000 records/s offered as a batch of 100 every 100 ms, for SUSTAINED_S seconds.
    const latencies: number[] = [];
    let busyMs = 0;
    const start = performance.now();
    for (let tick = 0; tick < SUSTAINED_S * 10; tick++) {
      const due = start + tick * 100;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const b0 = performance.now();
      await appendAuditBatch(
        pool,
        Array.from({ length: 100 }, (_, j) => entry(n + tick * 100 + j)),
      );
      const took = performance.now() - b0;
      busyMs += took;
      latencies.push(took);
    }
    const wallS = (performance.now() - start) / 1000;
    n += SUSTAINED_S * 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `sustained 1,000 records/s for ${SUSTAINED_S} s (batches of 100 every 100 ms): achieved ${fmt((SUSTAINED_S * 1000) / wallS, 0)} records/s, ` +
        `${fmt(busyMs / (SUSTAINED_S * 1000), 3)} ms/record busy (goal <= 1: ${busyMs / (SUSTAINED_S * 1000) <= 1 ? 'met' : 'MISSED'}), ` +
        `batch p50 ${fmt(pct(latencies, 50), 1)} ms, p99 ${fmt(pct(latencies, 99), 1)} ms, load ${fmt(busyMs / 10 / SUSTAINED_S, 0)}% of one connection`,
    );

    // ---- a large tree ----
    console.log(`\n## proofs in a tree of ${fmt(LEAVES, 0)} leaves stored in audit_merkle_nodes`);
    const base = n;
    await pool.query('select 1');
    const { rows: sz } = await pool.query<{ size: number }>('select size from audit_tree_size');
    const have = sz[0]?.size ?? 0;
    const b0 = performance.now();
    // Synthetic leaves hashed and folded inside Postgres (sha256()), level by level: no round trips per node.
    // The tree continues the real log, so the head below signs real and synthetic leaves together.
    await withTransaction(pool, async (c) => {
      await c.query('set local statement_timeout = 0');
      await c.query(
        `insert into audit_merkle_nodes (level, idx, hash)
         select 0, i, sha256('\\x00'::bytea || int8send(i)) from generate_series($1::bigint, $2::bigint - 1) i`,
        [have, LEAVES],
      );
      for (let level = 0; 2 ** (level + 1) <= LEAVES; level++) {
        await c.query(
          `insert into audit_merkle_nodes (level, idx, hash)
           select $1 + 1, a.idx / 2, sha256('\\x01'::bytea || a.hash || b.hash)
           from audit_merkle_nodes a join audit_merkle_nodes b on b.level = $1 and b.idx = a.idx + 1
           where a.level = $1 and a.idx % 2 = 0 and a.idx >= $2
           on conflict do nothing`,
          [level, Math.floor(have / 2 ** level) - (Math.floor(have / 2 ** level) % 2)],
        );
      }
      await c.query('update audit_tree_size set size = $1', [LEAVES]);
    });
    // A bulk load leaves every page without hint bits and visibility-map bits: the first reads would write them
    // back (what autovacuum does for a log that grows gradually). Vacuum once, as autovacuum would.
    await pool.query('vacuum (analyze) audit_merkle_nodes');
    const buildS = (performance.now() - b0) / 1000;
    // A log grows over months, so its pages were written out long ago; right after a bulk load of gigabytes
    // the checkpointer may still be flushing them, and reads may queue behind those writes. Flush now, so
    // that the proofs below see the steady state (needs pg_checkpoint; otherwise say what is measured).
    const c0 = performance.now();
    try {
      await pool.query('checkpoint');
      console.log(`checkpoint after the bulk load: ${fmt((performance.now() - c0) / 1000, 1)} s`);
    } catch {
      console.log(
        'no CHECKPOINT (the role lacks pg_checkpoint): proofs below run while the bulk load is still being written out',
      );
    }
    const { rows: rel } = await pool.query<{ rows: number; bytes: number }>(
      `select (select count(*) from audit_merkle_nodes)::float8 as rows,
              pg_total_relation_size('audit_merkle_nodes')::float8 as bytes`,
    );
    console.log(
      `built in ${fmt(buildS, 1)} s: ${fmt(rel[0]?.rows ?? 0, 0)} nodes, table+index ${fmt((rel[0]?.bytes ?? 0) / 2 ** 20, 0)} MB (${fmt((rel[0]?.bytes ?? 0) / LEAVES, 0)} bytes/leaf)`,
    );

    return base;
  }
}

/** Signs a head over the whole tree, then times proofs for records spread over it, first and second touch. */
async function proofs(pool: Pool, base: number): Promise<void> {
  {
    const { rows: size } = await pool.query<{ size: number }>('select size from audit_tree_size');
    const leaves = size[0]?.size ?? 0;
    const key = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const s0 = performance.now();
    const head = await signTreeHeadIfDue(pool, {
      key,
      schedule: { everyRecords: 1, everyMs: 0 },
      topic: null,
    });
    console.log(
      head === null
        ? `the tree of ${fmt(leaves, 0)} leaves is signed already`
        : `sign a tree head of ${fmt(head.treeSize, 0)} leaves (root from stored peaks): ${fmt(performance.now() - s0, 1)} ms`,
    );

    // Records for the sampled seqs (the proof route reads the record row too): two disjoint sets of records
    // spread over the tree, one proven without the upper-node cache and one with it.
    const spread = (offset: number): number[] =>
      Array.from(
        { length: PROOF_SAMPLES },
        (_, i) =>
          base + Math.floor(((((i * 7919) % PROOF_SAMPLES) + offset) / PROOF_SAMPLES) * (leaves - base - 1)),
      );
    const [plainSeqs, seqs] = [spread(0.25), spread(0.75)];
    await pool.query(
      `insert into audit_records (seq, record, recorded_at) select s, '{}', now() from unnest($1::bigint[]) s on conflict do nothing`,
      [[...new Set([...plainSeqs, ...seqs])]],
    );
    // Baseline in the same run: proofs through one connection inside a transaction, where nothing is cached
    // and every level is read from Postgres.
    const rows: [string, number[]][] = [];
    const client = await pool.connect();
    try {
      const incl: number[] = [];
      for (const s of plainSeqs) {
        const p0 = performance.now();
        await auditInclusionProof(client, [key], s);
        incl.push(performance.now() - p0);
      }
      rows.push(['no cache: inclusion proof, first touch', incl]);
      const cons: number[] = [];
      for (let i = 0; i < PROOF_SAMPLES; i++) {
        const size1 = 1 + Math.floor((((i * 104729) % PROOF_SAMPLES) / PROOF_SAMPLES) * (leaves - 1));
        const p0 = performance.now();
        await auditConsistencyProof(client, [key], size1, leaves);
        cons.push(performance.now() - p0);
      }
      rows.push(['no cache: consistency proof (+ roots)', cons]);
    } finally {
      client.release();
    }
    // What the API does: the upper levels held in the process (warmed at start, one query), the lowest
    // levels read from Postgres. First touch: the proofs' lower nodes are not in shared_buffers (only in the
    // OS page cache at best), as for a record nobody asked about lately. Second touch: the same records
    // again, as when a case is reviewed.
    const w0 = performance.now();
    const cached = await warmAuditProofCache(pool, [key]);
    console.log(
      `upper-node cache warmed in ${fmt(performance.now() - w0, 1)} ms: ${fmt(cached, 0)} nodes (${fmt((cached * 32) / 2 ** 20, 1)} MiB of hashes)`,
    );
    for (const round of ['first touch', 'second touch']) {
      const incl: number[] = [];
      for (const s of seqs) {
        const p0 = performance.now();
        await auditInclusionProof(pool, [key], s);
        incl.push(performance.now() - p0);
      }
      rows.push([`inclusion proof, ${round}`, incl]);
    }
    const cons: number[] = [];
    for (let i = 0; i < PROOF_SAMPLES; i++) {
      const size1 = 1 + Math.floor(((((i * 104729) % PROOF_SAMPLES) + 0.5) / PROOF_SAMPLES) * (leaves - 1));
      const p0 = performance.now();
      await auditConsistencyProof(pool, [key], size1, leaves);
      cons.push(performance.now() - p0);
    }
    rows.push(['consistency proof (+ both roots)', cons]);
    const lookups: number[] = [];
    for (const s of seqs) {
      const p0 = performance.now();
      await pool.query('select hash from audit_merkle_nodes where level = 0 and idx = $1', [s]);
      lookups.push(performance.now() - p0);
    }
    rows.push(['baseline: one-row primary-key lookup', lookups]);
    for (const [, t] of rows) t.sort((x, y) => x - y);
    const base50 = pct(lookups, 50);
    console.log(
      `load average during the run: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      'operation                                p50 ms   p99 ms   max ms   goal <= 10 ms   p50 / one-row lookup',
    );
    for (const [name, t] of rows) {
      const p99 = pct(t, 99);
      console.log(
        `${name.padEnd(39)} ${fmt(pct(t, 50), 3).padStart(7)}  ${fmt(p99, 3).padStart(7)}  ${fmt(t[t.length - 1] ?? 0, 3).padStart(7)}   ${(p99 <= 10 ? 'met' : 'MISSED').padEnd(13)}   ${fmt(pct(t, 50) / base50, 1)}x`,
      );
    }
    const { rows: rel } = await pool.query<{ bytes: number }>(
      `select pg_total_relation_size('audit_merkle_nodes')::float8 as bytes`,
    );
    console.log(
      `a proof reads <= 2*log2(n) nodes (${Math.ceil(2 * Math.log2(leaves))} here), those below the cached levels in one indexed query; ` +
        `nodes take ${fmt((rel[0]?.bytes ?? 0) / 2 ** 30, 2)} GB (table + index) for ${fmt(leaves, 0)} leaves.`,
    );
  }
}

await main();
