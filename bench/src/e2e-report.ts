import { processCpuSeconds } from './machine.js';
import { fmt, pct } from './report-format.js';
import type { Args } from './e2e-args.js';
import type { PipelineOutputs, Publication } from './e2e-traffic.js';

/** What `bench:e2e` reports: its figures from the run's measurements, as JSON or as lines of text. */

/** CPU seconds of each stage's processes now (a process that is gone counts 0). */
export function cpuByStage(stagePids: Readonly<Record<string, number[]>>): Record<string, number> {
  const cpuOf = (pids: number[]) => pids.reduce((a, p) => a + (processCpuSeconds(p) ?? 0), 0);
  return Object.fromEntries(Object.entries(stagePids).map(([k, v]) => [k, cpuOf(v)]));
}

/** CPU-ms of each thread between two readings, per `per` (events or images). */
export function threadMsPer(
  after: ReadonlyMap<string, number>,
  before: ReadonlyMap<string, number>,
  per: number,
): Record<string, number> {
  return Object.fromEntries(
    [...after].map(([name, s]) => [name, ((s - (before.get(name) ?? 0)) * 1000) / per]),
  );
}

/** Everything a run measured. CPU readings are seconds by stage (see `cpuByStage`). */
export interface E2eMeasurements {
  args: Args;
  machine: string;
  bankImages: number;
  unmatched: number;
  meanKiB: number;
  minSide: number;
  baselineMs: number;
  publication: Publication;
  outputs: PipelineOutputs;
  verdictsS: number;
  cpuBefore: Record<string, number>;
  cpuAtVerdicts: Record<string, number>;
  cpuAfter: Record<string, number>;
  /** Classifier CPU when each started late (`--classifier-after`) began its work. */
  classifierCpuFrom: ReadonlyMap<string, number>;
  scannerThreadsMs: Record<string, number>;
  classifierThreadsMs: Record<string, number>;
  classifierRate: number | null;
  utilisation: number;
  load: number[];
}

export type E2eResult = ReturnType<typeof e2eResult>;

/** The run's figures (the `--json` line). */
export function e2eResult(m: E2eMeasurements) {
  const { args, publication, outputs } = m;
  const { publishedAt, knownIds } = publication;
  const { verdictAt, matchedIds, classifiedAt } = outputs;
  const latencies = [...publishedAt]
    .map(([k, t]) => (verdictAt.get(k) ?? Number.NaN) - t)
    .sort((a, b) => a - b);
  const cpuPerEventMs = Object.fromEntries(
    Object.keys(m.cpuAfter).map((k) => [k, ((m.cpuAtVerdicts[k]! - m.cpuBefore[k]!) * 1000) / args.events]),
  );
  const classifierCpuPerImageMs = Object.fromEntries(
    Object.keys(m.cpuAfter)
      .filter((k) => k.startsWith('classifier'))
      .map((k) => [
        k,
        ((m.cpuAfter[k]! - (m.classifierCpuFrom.get(k) ?? m.cpuBefore[k]!)) * 1000) /
          Math.max(1, classifiedAt.length),
      ]),
  );
  return {
    machine: m.machine,
    events: args.events,
    unmatched: m.unmatched,
    meanKiB: Math.round(m.meanKiB),
    rate: args.rate,
    publishedPerS: args.events / publication.publishedS,
    eventsPerS: args.events / m.verdictsS,
    p50Ms: pct(latencies, 50),
    p99Ms: pct(latencies, 99),
    maxMs: latencies[latencies.length - 1],
    copiesMatched: [...knownIds].filter((k) => matchedIds.has(k)).length,
    copies: knownIds.size,
    falseMatches: [...matchedIds].filter((k) => !knownIds.has(k)).length,
    baselineHashCpuMs: m.baselineMs,
    cpuPerEventMs,
    scannerThreadsMs: m.scannerThreadsMs,
    scannerOverBaseline: (cpuPerEventMs['scanner'] ?? 0) / m.baselineMs,
    machineUtilisation: m.utilisation,
    loadAverage1m: m.load[0],
    classifierThreads: args.classifierThreads,
    classifierInstances: args.classifierThreads > 0 ? args.classifierInstances : 0,
    classified: classifiedAt.length,
    classifierPerS: m.classifierRate,
    classifierCpuPerImageMs,
    classifierThreadsMs: m.classifierThreadsMs,
  };
}

/** The figures as lines of text. */
export function printE2eResult(result: E2eResult, m: E2eMeasurements): void {
  const { args, unmatched, minSide, classifierRate } = m;
  const byThread = (threads: Record<string, number>, digits: number): string =>
    Object.entries(threads)
      .filter(([, v]) => v >= 0.01)
      .map(([k, v]) => `${k} ${fmt(v, digits)}`)
      .join(', ');
  console.log(
    `${args.events} events (${args.events - unmatched} copies of ${m.bankImages} bank images, ${unmatched} unmatched), mean ${fmt(m.meanKiB, 0)} KiB, ${args.rate > 0 ? `paced at ${args.rate}/s` : 'as fast as possible'}`,
  );
  console.log(
    `hash-and-match: ${fmt(result.eventsPerS)} events/s sustained (published at ${fmt(result.publishedPerS)}/s); publish→verdict p50 ${fmt(result.p50Ms, 0)} ms, p99 ${fmt(result.p99Ms, 0)} ms, max ${fmt(result.maxMs ?? Number.NaN, 0)} ms`,
  );
  console.log(
    `matches: ${result.copiesMatched} of ${result.copies} copies of bank images matched, ${result.falseMatches} other events matched`,
  );
  console.log(
    `CPU-ms per event: ${Object.entries(result.cpuPerEventMs)
      .map(([k, v]) => `${k} ${fmt(v, 2)}`)
      .join(', ')}; machine ${fmt(m.utilisation * 100, 0)}% busy, load ${fmt(m.load[0] ?? 0, 2)}`,
  );
  console.log(`scanner CPU-ms per event by thread: ${byThread(result.scannerThreadsMs, 2)}`);
  console.log(
    `baseline (same run): decode${minSide > 0 ? ` (reduced, min side ${minSide})` : ''} + hashes ${fmt(m.baselineMs, 2)} CPU-ms per image in one thread; scanner ${fmt(result.scannerOverBaseline, 2)}x of it per event`,
  );
  if (args.classifierThreads > 0)
    console.log(
      `classifier: ${result.classified}/${unmatched} results, ${classifierRate === null ? 'n/a' : fmt(classifierRate, 2)}/s with ${args.classifierInstances} instance(s) x ${args.classifierThreads} thread(s)${args.classifierAfter ? ' on the backlog alone' : ' alongside (niced)'}; CPU-ms per image ${Object.entries(
        result.classifierCpuPerImageMs,
      )
        .map(([k, v]) => `${k} ${fmt(v, 0)}`)
        .join(', ')}; first instance by thread: ${byThread(result.classifierThreadsMs, 1)}`,
    );
}
