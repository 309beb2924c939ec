/**
 * Audit log benchmark (issue 8). Goals: append <= 1 ms per record at 1,000 records/s sustained (batched
 * hashing); an inclusion proof for one record in a 10M-record log in <= 10 ms.
 *
 *   pnpm exec tsc -b bench && pnpm bench:audit            (AUDIT_BENCH_LEAVES=1000000 for a quick run)
 */
import { createHash, randomFillSync } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createMemoryAuditLog,
  createMemoryMerkleStore,
  createMerkleTree,
  foldNodes,
  hashLeaf,
  prepareRecords,
  verifyConsistency,
  verifyInclusion,
} from '@mod/audit';
import type { AuditRecordDraft } from '@mod/audit';
import { fmt, pct } from './report-format.js';

const LEAVES = Number(process.env.AUDIT_BENCH_LEAVES ?? 10_000_000);
const APPEND_RECORDS = 20_000;
const PROOF_SAMPLES = 2_000;

const mb = (bytes: number): string => `${fmt(bytes / 2 ** 20, 0)} MB`;

/** A deterministic pseudo-random generator, so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function draft(i: number): AuditRecordDraft {
  return {
    actor: { kind: i % 5 === 0 ? 'policy' : 'user', id: `usr_${i % 97}` },
    role: i % 5 === 0 ? null : 'reviewer',
    tenantId: `tn_${i % 7}`,
    action: i % 2 === 0 ? 'verdict.confirmed' : 'order.created',
    subject: { type: 'content', id: `c_${i}` },
    reason: `matched bank iwf-2024-05 at distance ${i % 31}`,
    evidence: { sha256: createHash('sha256').update(String(i)).digest('hex'), pdq: 'f0'.repeat(32) },
    versions: { policy: '12', model: 'nsfw-2024.05' },
  };
}

async function benchAppend(): Promise<void> {
  console.log(
    `\n## append (${fmt(APPEND_RECORDS, 0)} records per batch size; validate + canonical JSON + leaf hash + tree)`,
  );
  const drafts = Array.from({ length: APPEND_RECORDS }, (_, i) => draft(i));

  // Baseline: only the SHA-256 leaf hash of each record's canonical bytes, no validation, no tree.
  const encoded = prepareRecords(drafts, 0);
  // Warm-up (JIT) of every measured path, not timed.
  for (const e of encoded) hashLeaf(Buffer.from(e.canonical, 'utf8'));
  const warm = createMemoryAuditLog();
  for (let i = 0; i < 2000; i += 10) await warm.append(drafts.slice(i, i + 10));
  let t0 = performance.now();
  for (const e of encoded) hashLeaf(Buffer.from(e.canonical, 'utf8'));
  const baselineUs = ((performance.now() - t0) * 1000) / APPEND_RECORDS;
  console.log(`baseline: SHA-256 leaf hash only            ${fmt(baselineUs, 2)} µs/record`);

  console.log('batch  records/s   µs/record  (tree only µs/record)  ratio vs baseline  goal <= 1000 µs');
  for (const batch of [1, 100, 1000]) {
    const log = createMemoryAuditLog({
      store: createMemoryMerkleStore({ initialCapacityLeaves: APPEND_RECORDS }),
    });
    t0 = performance.now();
    for (let i = 0; i < APPEND_RECORDS; i += batch) await log.append(drafts.slice(i, i + batch));
    const us = ((performance.now() - t0) * 1000) / APPEND_RECORDS;

    // Tree part alone: the same leaf hashes appended to a fresh tree in the same batches.
    const tree = createMerkleTree(createMemoryMerkleStore({ initialCapacityLeaves: APPEND_RECORDS }));
    const leaves = encoded.map((e) => e.leafHash);
    t0 = performance.now();
    for (let i = 0; i < APPEND_RECORDS; i += batch) await tree.appendLeafHashes(leaves.slice(i, i + batch));
    const treeUs = ((performance.now() - t0) * 1000) / APPEND_RECORDS;

    console.log(
      `${String(batch).padStart(5)}  ${fmt(1e6 / us, 0).padStart(9)}   ${fmt(us, 2).padStart(9)}  ${fmt(treeUs, 2).padStart(20)}  ` +
        `${fmt(us / baselineUs, 1).padStart(16)}x  ${us <= 1000 ? 'met' : 'MISSED'} (${fmt(1000 / us, 0)}x headroom at 1,000/s)`,
    );
  }
}

async function benchProofs(): Promise<void> {
  console.log(
    `\n## proofs in a tree of ${fmt(LEAVES, 0)} leaves (in-memory store, synthetic random leaf hashes)`,
  );
  const before = process.memoryUsage();
  const store = createMemoryMerkleStore({ initialCapacityLeaves: LEAVES });
  const tree = createMerkleTree(store);
  const CHUNK = 1 << 16;
  const chunk = Buffer.alloc(CHUNK * 32);
  const t0 = performance.now();
  for (let at = 0; at < LEAVES; at += CHUNK) {
    const n = Math.min(CHUNK, LEAVES - at);
    randomFillSync(chunk, 0, n * 32);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < n; i++) leaves.push(chunk.subarray(i * 32, (i + 1) * 32));
    await tree.appendLeafHashes(leaves);
  }
  const buildS = (performance.now() - t0) / 1000;
  const after = process.memoryUsage();
  console.log(
    `build: ${fmt(buildS, 1)} s (${fmt((buildS * 1e6) / LEAVES, 2)} µs/leaf); memory: rss +${mb(after.rss - before.rss)}, ` +
      `array buffers +${mb(after.arrayBuffers - before.arrayBuffers)}, heap ${mb(after.heapUsed)}`,
  );

  const size = await tree.size();
  const root = await tree.root(size);
  const random = rng(8);
  // Warm-up (JIT, first touches of the node arrays) is not measured.
  for (let s = 0; s < 200; s++) {
    await tree.inclusionProof(Math.floor(random() * size), size);
    await tree.consistencyProof(1 + Math.floor(random() * (size - 1)), size);
  }

  const incl: number[] = [];
  let verified = 0;
  for (let s = 0; s < PROOF_SAMPLES; s++) {
    const index = Math.floor(random() * size);
    const start = performance.now();
    const proof = await tree.inclusionProof(index, size);
    incl.push(performance.now() - start);
    const [leaf] = await tree.leafHashes(index, index + 1);
    if (leaf !== undefined && verifyInclusion(index, size, leaf, proof, root)) verified++;
  }
  const cons: number[] = [];
  for (let s = 0; s < PROOF_SAMPLES; s++) {
    const size1 = 1 + Math.floor(random() * (size - 1));
    const start = performance.now();
    const proof = await tree.consistencyProof(size1, size);
    cons.push(performance.now() - start);
    if (verifyConsistency(size1, size, await tree.root(size1), root, proof)) verified++;
  }
  incl.sort((a, b) => a - b);
  cons.sort((a, b) => a - b);

  // Baseline: a proof without stored interior nodes must rehash the leaves; time MTH over 2^20 leaves.
  const BASE = Math.min(1 << 20, size);
  const leaves = await store.getLeafHashes(0, BASE);
  const b0 = performance.now();
  let level: Uint8Array[] = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(foldNodes([level[i] as Uint8Array, level[i + 1] as Uint8Array]));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
  }
  const naiveMs = ((performance.now() - b0) * size) / BASE;

  console.log(
    `all ${fmt(2 * PROOF_SAMPLES, 0)} proofs verified: ${verified === 2 * PROOF_SAMPLES ? 'yes' : `NO (${verified})`}`,
  );
  console.log('proof         p50 ms   p99 ms   max ms   goal <= 10 ms   ratio p50 vs naive rehash');
  for (const [name, t] of [
    ['inclusion', incl],
    ['consistency', cons],
  ] as const) {
    const p50 = pct(t, 50);
    const p99 = pct(t, 99);
    console.log(
      `${name.padEnd(12)} ${fmt(p50, 3).padStart(7)}  ${fmt(p99, 3).padStart(7)}  ${fmt(t[t.length - 1] ?? 0, 3).padStart(7)}   ` +
        `${p99 <= 10 ? 'met' : 'MISSED'}           1/${fmt(naiveMs / p50, 0)}`,
    );
  }
  console.log(
    `naive baseline: rehash all leaves ≈ ${fmt(naiveMs, 0)} ms (measured over ${fmt(BASE, 0)} leaves, scaled)`,
  );
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `# audit benchmark\nmachine: ${cpu}, ${os.cpus().length} cores, ${mb(os.totalmem())} RAM, Node ${process.version}`,
  );
  await benchAppend();
  await benchProofs();
}

await main();
