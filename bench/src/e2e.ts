/**
 * The whole pipeline on the real broker and database: `pnpm bench:e2e [options]`.
 *
 * Starts scanner, actioner and (optionally) classifier as their own processes (`services/<x>/dist/main.js`, the
 * built services, as an operator runs them) in a world of their own (topic prefix, schema), publishes N media
 * events of 1280x960 camera-like JPEGs, a share of them copies of images in an automatic bank (re-encoded, so only
 * their perceptual hashes match), and reports:
 * - sustained hash-and-match throughput (events/s from the first publish to the last verdict) and p50/p99
 *   publish→verdict;
 * - classifier results: how many, and their rate (results/s between the first and the last);
 * - CPU seconds per stage (each service process, the broker, PostgreSQL, this publisher), per event, and the
 *   machine's utilisation and load over the run;
 * - the baseline in the same run: decode + hashes of the same images in one thread of this process (CPU-ms per
 *   image), and the scanner's CPU per event against it.
 *
 * Options:
 *   --events N                  events (2000)
 *   --rate R                    events/s to publish at; 0 publishes as fast as the broker takes them (0)
 *   --known-share S             share of events that copy a bank image (0.3)
 *   --classifier-threads T      start the classifier with T threads alongside (0: no classifier)
 *   --classifier-instances I    classifier processes (1)
 *   --classifier-after          start the classifier only once every verdict is in: its rate on the backlog alone
 *   --media-partitions P        partitions of the internal media topic (default: the project's layout, 3)
 *   --classifier-cores-per-thread C   give each classifier instance a CPU budget of C x its threads cores (a cgroup;
 *                               root): whether the stage scales with threads when each has the same budget
 *   --hash-threads H            scanner hashing threads (default: the scanner's, one per core)
 *   --env KEY=VALUE             extra setting for every service (repeatable), e.g. HASH_REDUCED_DECODE_MIN_SIDE=480
 *   --json                      one JSON line at the end
 *
 * Needs what `deploy/local/test.sh` exports (the broker's admin principal, KAFKA_TLS_CA_PATH,
 * MOD_KAFKA_CREDENTIALS_DIR) and the PostgreSQL of DATABASE_URL. Sends traffic to loopback only.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProducer, type TopicFollower } from '@mod/kafka';
import { createLogger } from '@mod/telemetry';
import { createCpuQuota, type CpuQuota } from './cpu-quota.js';
import { parseArgs } from './e2e-args.js';
import { benchImages, hashingBaseline } from './e2e-images.js';
import { cpuByStage, e2eResult, printE2eResult, threadMsPer } from './e2e-report.js';
import { startService, stopService, waitReady, type Service } from './e2e-services.js';
import { followPipelineOutputs, publishMediaEvents } from './e2e-traffic.js';
import { createBenchWorld, prepareBenchWorld, serviceEnvOf, tearDownBenchWorld } from './e2e-world.js';
import {
  describeMachine,
  machineCpuTicks,
  pidsMatching,
  processCpuSeconds,
  threadCpuSeconds,
} from './machine.js';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const logger = createLogger('bench', 'warn');
  const machine = describeMachine();
  if (!args.json) {
    console.log(`# end-to-end pipeline benchmark\nmachine: ${machine}`);
    console.log(`args: ${JSON.stringify(args)}`);
  }
  const { events, known, unmatched, meanKiB } = await benchImages(args);
  const minSide = Number(args.env['HASH_REDUCED_DECODE_MIN_SIDE'] ?? 0);
  const baselineMs = await hashingBaseline(events, minSide);

  const world = createBenchWorld(logger);
  const services: Service[] = [];
  const followers: TopicFollower[] = [];
  const budgets: CpuQuota[] = [];
  try {
    await prepareBenchWorld(world, known, args.mediaPartitions);
    const envOf = serviceEnvOf(world, {
      ...(args.hashThreads > 0 ? { HASH_THREADS: String(args.hashThreads) } : {}),
      ...args.env,
    });
    let port = 19_400 + Math.floor(Math.random() * 500);
    services.push(startService('scanner', 'services/scanner/dist/main.js', envOf('mod-scanner'), port++));
    services.push(startService('actioner', 'services/actioner/dist/main.js', envOf('mod-actioner'), port++));
    const startClassifiers = () => {
      const started: Service[] = [];
      for (let i = 0; i < args.classifierInstances; i++) {
        const s = startService(
          `classifier-${i + 1}`,
          'services/classifier/dist/main.js',
          {
            ...envOf('mod-classifier'),
            CLASSIFIER_THREADS: String(args.classifierThreads),
            // Instances on one host need static membership ids of their own (else the broker fences one).
            KAFKA_GROUP_INSTANCE_ID: `bench-classifier-${i + 1}-${process.pid}`,
          },
          port++,
        );
        // Hashing comes first on a shared machine: the model gets what the scanner leaves.
        if (s.child.pid !== undefined && !args.classifierAfter) os.setPriority(s.child.pid, 10);
        if (s.child.pid !== undefined && args.classifierCoresPerThread > 0) {
          const budget = createCpuQuota(
            s.name,
            args.classifierCoresPerThread * Math.max(1, args.classifierThreads),
          );
          budget.add(s.child.pid);
          budgets.push(budget);
        }
        started.push(s);
      }
      services.push(...started);
      return started;
    };
    if (args.classifierThreads > 0 && !args.classifierAfter) startClassifiers();
    await Promise.all(services.map((s) => waitReady(s)));

    const outputs = await followPipelineOutputs(world, logger, args.events, followers);
    const { verdictAt, classifiedAt, verdictsIn } = outputs;
    const producer = await createProducer(world.kafka);
    const stagePids: Record<string, number[]> = {
      ...Object.fromEntries(services.map((s) => [s.name, [s.child.pid ?? -1]])),
      broker: pidsMatching('kafka.Kafka'),
      postgres: pidsMatching((comm) => comm === 'postgres' || comm.startsWith('postgres')),
      publisher: [process.pid],
    };
    const scannerPid = services[0]?.child.pid ?? -1;
    const threadsBefore = threadCpuSeconds(scannerPid);
    const cpuBefore = cpuByStage(stagePids);
    const machineBefore = machineCpuTicks();

    const publication = await publishMediaEvents(world, producer, events, args.rate);
    const { started } = publication;
    await Promise.race([
      verdictsIn,
      sleep(Math.max(120_000, args.events * 100)).then(() => {
        throw new Error(`only ${verdictAt.size} of ${args.events} verdicts arrived`);
      }),
    ]);
    const verdictsS = (Math.max(...verdictAt.values()) - started) / 1000;
    const cpuAtVerdicts = cpuByStage(stagePids);
    const machineAtVerdicts = machineCpuTicks();
    const scannerThreadsMs = threadMsPer(threadCpuSeconds(scannerPid), threadsBefore, args.events);
    const load = os.loadavg();

    // Classifier results: alongside, or on the backlog alone after the verdicts.
    let classifierStartedAt: number | null = null;
    const classifierCpuFrom = new Map<string, number>();
    if (args.classifierThreads > 0 && args.classifierAfter) {
      const started2 = startClassifiers();
      await Promise.all(started2.map((s) => waitReady(s)));
      classifierStartedAt = performance.now();
      for (const s of started2) {
        stagePids[s.name] = [s.child.pid ?? -1];
        classifierCpuFrom.set(s.name, processCpuSeconds(s.child.pid ?? -1) ?? 0);
      }
    }
    // The first classifier's threads, from now (it has started by now in either mode).
    const firstClassifierPid = services.find((s) => s.name.startsWith('classifier'))?.child.pid ?? -1;
    const classifierThreadsFrom = threadCpuSeconds(firstClassifierPid);
    let classifierRate: number | null = null;
    if (args.classifierThreads > 0) {
      const deadline = performance.now() + Math.max(600_000, unmatched * 1000);
      while (classifiedAt.length < unmatched && performance.now() < deadline) await sleep(250);
      const sorted = [...classifiedAt].sort((a, b) => a - b);
      const first = classifierStartedAt ?? sorted[0] ?? 0;
      const last = sorted[sorted.length - 1] ?? first;
      classifierRate =
        sorted.length > 1
          ? (sorted.length - (classifierStartedAt === null ? 1 : 0)) / ((last - first) / 1000)
          : null;
    }
    const cpuAfter = cpuByStage(stagePids);
    const classifierThreadsMs = threadMsPer(
      threadCpuSeconds(firstClassifierPid),
      classifierThreadsFrom,
      Math.max(1, classifiedAt.length),
    );
    const utilisation =
      (machineAtVerdicts.busy - machineBefore.busy) /
      Math.max(1, machineAtVerdicts.total - machineBefore.total);
    const measured = {
      args,
      machine,
      bankImages: known.length,
      unmatched,
      meanKiB,
      minSide,
      baselineMs,
      publication,
      outputs,
      verdictsS,
      cpuBefore,
      cpuAtVerdicts,
      cpuAfter,
      classifierCpuFrom,
      scannerThreadsMs,
      classifierThreadsMs,
      classifierRate,
      utilisation,
      load,
    };
    const result = e2eResult(measured);
    if (args.json) console.log(JSON.stringify(result));
    else printE2eResult(result, measured);
    await producer.disconnect();
  } finally {
    await Promise.all(followers.map((f) => f.stop().catch(() => undefined)));
    await Promise.all(services.map((s) => stopService(s)));
    for (const b of budgets) b.remove();
    await tearDownBenchWorld(world);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
