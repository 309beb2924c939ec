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
 *   --hash-threads H            scanner hashing threads (default: the scanner's, one per core)
 *   --env KEY=VALUE             extra setting for every service (repeatable), e.g. HASH_REDUCED_DECODE_MIN_SIDE=480
 *   --json                      one JSON line at the end
 *
 * Needs what `deploy/local/test.sh` exports (the broker's admin principal, KAFKA_TLS_CA_PATH,
 * MOD_KAFKA_CREDENTIALS_DIR) and the PostgreSQL of DATABASE_URL. Sends traffic to loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import {
  Codecs,
  MEDIA_META_HEADER,
  serviceAcls,
  topicNames,
  topicSpecs,
  type MediaEventMeta,
} from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { createPool, migrate } from '@mod/db';
import { upsertTenant } from '@mod/db/access';
import { hashMedia } from '@mod/hashing/decode';
import {
  applyAcls,
  createKafka,
  createProducer,
  deleteTopics,
  ensureTopics,
  followTopic,
  removeAcls,
} from '@mod/kafka';
import { credentialsFromEnvironment, serviceEnvironment } from '@mod/kafka/testing';
import { createLogger } from '@mod/telemetry';
import {
  describeMachine,
  machineCpuTicks,
  pidsMatching,
  processCpuSeconds,
  threadCpuSeconds,
} from './machine.js';

interface Args {
  events: number;
  rate: number;
  knownShare: number;
  classifierThreads: number;
  classifierInstances: number;
  classifierAfter: boolean;
  hashThreads: number;
  env: Record<string, string>;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    events: 2000,
    rate: 0,
    knownShare: 0.3,
    classifierThreads: 0,
    classifierInstances: 1,
    classifierAfter: false,
    hashThreads: 0,
    env: {},
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a non-negative number`);
      return v;
    };
    if (flag === '--events') a.events = Math.floor(num());
    else if (flag === '--rate') a.rate = num();
    else if (flag === '--known-share') a.knownShare = Math.min(1, num());
    else if (flag === '--classifier-threads') a.classifierThreads = Math.floor(num());
    else if (flag === '--classifier-instances') a.classifierInstances = Math.max(1, Math.floor(num()));
    else if (flag === '--classifier-after') a.classifierAfter = true;
    else if (flag === '--hash-threads') a.hashThreads = Math.floor(num());
    else if (flag === '--env') {
      const [k, ...v] = value().split('=');
      if (k === undefined || v.length === 0) throw new Error('--env needs KEY=VALUE');
      a.env[k] = v.join('=');
    } else if (flag === '--json') a.json = true;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (a.events < 1) throw new Error('--events must be at least 1');
  return a;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = join(os.tmpdir(), 'mod-bench-e2e-v2');
const fmt = (n: number, digits = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A seeded scene: a gradient and 40 shapes of random kind, place, size, angle and colour (as SVG). */
function scene(width: number, height: number, seed: number): string {
  let x = seed >>> 0 || 1;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 8; i++) rand();
  const colour = () =>
    `hsl(${Math.floor(rand() * 360)},${30 + Math.floor(rand() * 60)}%,${15 + Math.floor(rand() * 70)}%)`;
  const shapes = Array.from({ length: 40 }, () => {
    const cx = rand() * width;
    const cy = rand() * height;
    const w = (0.03 + rand() * 0.3) * width;
    const h = (0.03 + rand() * 0.3) * height;
    const angle = Math.floor(rand() * 180);
    const fill = `fill="${colour()}" fill-opacity="${(0.5 + rand() * 0.5).toFixed(2)}"`;
    return rand() < 0.5
      ? `<ellipse cx="${cx}" cy="${cy}" rx="${w / 2}" ry="${h / 2}" transform="rotate(${angle} ${cx} ${cy})" ${fill}/>`
      : `<rect x="${cx - w / 2}" y="${cy - h / 2}" width="${w}" height="${h}" transform="rotate(${angle} ${cx} ${cy})" ${fill}/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="${rand()}" y1="0" x2="1" y2="${rand()}"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
}

/** A camera-like 1280x960 JPEG (a random scene plus sensor-like noise), cached on disk across runs. */
async function cameraJpeg(seed: number): Promise<Buffer> {
  const file = join(cacheDir, `${seed}.jpg`);
  try {
    return await readFile(file);
  } catch {
    // not cached yet
  }
  const { data, info } = await sharp(Buffer.from(scene(1280, 960, seed)))
    .raw()
    .toBuffer({ resolveWithObject: true });
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = Math.max(0, Math.min(255, (data[i] ?? 0) + ((s >>> 24) % 25) - 12));
  }
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 85 })
    .toBuffer();
  await writeFile(file, jpeg);
  return jpeg;
}

interface Service {
  name: string;
  child: ChildProcess;
  opsPort: number;
}

function startService(name: string, entry: string, env: Record<string, string>, opsPort: number): Service {
  const child = spawn(process.execPath, [join(repoRoot, entry)], {
    env: { ...process.env, ...env, OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { name, child, opsPort };
}

async function waitReady(s: Service, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`${s.name} exited with ${s.child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${s.opsPort}/health/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${s.name} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function stopService(s: Service): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => s.child.kill('SIGKILL'))]);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const logger = createLogger('bench', 'warn');
  const machine = describeMachine();
  if (!args.json) {
    console.log(`# end-to-end pipeline benchmark\nmachine: ${machine}`);
    console.log(`args: ${JSON.stringify(args)}`);
  }
  await mkdir(cacheDir, { recursive: true });

  // The images: distinct unmatched photos, and copies (re-encoded) of a few bank images.
  const knownCount = Math.max(1, Math.round(args.events * args.knownShare));
  const bankImages = Math.min(60, knownCount);
  const known = await Promise.all(Array.from({ length: bankImages }, (_, i) => cameraJpeg(1_000_000 + i)));
  const copies = await Promise.all(
    known.map((k, i) =>
      sharp(k)
        .jpeg({ quality: 70 + (i % 20) })
        .toBuffer(),
    ),
  );
  const events: { bytes: Buffer; known: boolean }[] = [];
  for (let i = 0; i < args.events; i++) {
    const isKnown = Math.floor((i + 1) * args.knownShare) > Math.floor(i * args.knownShare);
    events.push(
      isKnown
        ? { bytes: copies[i % copies.length]!, known: true }
        : { bytes: await cameraJpeg(i + 1), known: false },
    );
  }
  const unmatched = events.filter((e) => !e.known).length;
  const meanKiB = events.reduce((a, e) => a + e.bytes.length, 0) / events.length / 1024;

  // Baseline in this run: decode + every hash of (up to) 50 of the same images, one at a time in this thread.
  const sample = events.slice(0, Math.min(50, events.length));
  const cpu0 = process.cpuUsage();
  const minSide = Number(args.env['HASH_REDUCED_DECODE_MIN_SIDE'] ?? 0);
  const decode = minSide > 0 ? { reducedDecode: { minSide } } : {};
  for (const e of sample) await hashMedia(e.bytes, decode);
  const cpu1 = process.cpuUsage(cpu0);
  const baselineMs = (cpu1.user + cpu1.system) / 1000 / sample.length;

  // The world: topics, ACLs, schema, tenant, bank.
  const id = randomUUID().slice(0, 8);
  const prefix = `bench-e2e-${id}.`;
  const schema = `bench_e2e_${id}`;
  const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation';
  const groups = {
    scanner: `${prefix}scanner`,
    classifier: `${prefix}classifier`,
    actioner: `${prefix}actioner`,
    fetcher: `${prefix}fetcher`,
  };
  const topics = topicNames(prefix);
  const kafka = createKafka({
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    clientId: 'bench-e2e',
    logger,
    credentials: credentialsFromEnvironment(),
  });
  const acls = serviceAcls({ prefix, groups });
  const db = createPool({ connectionString: databaseUrl, schema, max: 3 });
  const services: Service[] = [];
  const followers: { stop(): Promise<void> }[] = [];
  try {
    await ensureTopics(kafka, topicSpecs(prefix), { replicationFactor: 1 });
    await applyAcls(kafka, acls);
    await migrate(db, schema);
    await upsertTenant(db, {
      id: 'bench-platform',
      kind: 'platform',
      name: 'bench',
      subscribedToBlocking: false,
    });
    for (const isp of ['bench-isp-1', 'bench-isp-2'])
      await upsertTenant(db, { id: isp, kind: 'isp', name: isp, subscribedToBlocking: true });
    // Both perceptual signals, as shared lists carry them: PDQ alone skips low-quality images (quality < 50).
    const { bank } = await createBank(
      db,
      { name: 'bench-known', source: 'bench', signalTypes: ['pdq', 'blockhash'], actionPolicy: 'automatic' },
      topics.bankChanges,
    );
    const hashes = await Promise.all(known.map((k) => hashMedia(k)));
    await addEntries(
      db,
      bank.id,
      hashes.flatMap((h) => [
        { signal: 'pdq' as const, value: h.pdq, category: 'A' },
        { signal: 'blockhash' as const, value: h.blockhash, category: 'A' },
      ]),
      topics.bankChanges,
    );

    const common: Record<string, string> = {
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      TOPIC_PREFIX: prefix,
      SCANNER_GROUP_ID: groups.scanner,
      CLASSIFIER_GROUP_ID: groups.classifier,
      ACTIONER_GROUP_ID: groups.actioner,
      ...(args.hashThreads > 0 ? { HASH_THREADS: String(args.hashThreads) } : {}),
      ...args.env,
    };
    const envOf = (principal: string) => ({ ...common, ...serviceEnvironment(principal) });
    let port = 19_400 + Math.floor(Math.random() * 500);
    services.push(startService('scanner', 'services/scanner/dist/main.js', envOf('mod-scanner'), port++));
    services.push(startService('actioner', 'services/actioner/dist/main.js', envOf('mod-actioner'), port++));
    const startClassifiers = () => {
      const started: Service[] = [];
      for (let i = 0; i < args.classifierInstances; i++) {
        const s = startService(
          `classifier-${i + 1}`,
          'services/classifier/dist/main.js',
          { ...envOf('mod-classifier'), CLASSIFIER_THREADS: String(args.classifierThreads) },
          port++,
        );
        // Hashing comes first on a shared machine: the model gets what the scanner leaves.
        if (s.child.pid !== undefined && !args.classifierAfter) os.setPriority(s.child.pid, 10);
        started.push(s);
      }
      services.push(...started);
      return started;
    };
    if (args.classifierThreads > 0 && !args.classifierAfter) startClassifiers();
    await Promise.all(services.map((s) => waitReady(s)));

    // What arrives: each verdict and classification, with the time it was read.
    const verdictAt = new Map<string, number>();
    const matchedIds = new Set<string>();
    const classifiedAt: number[] = [];
    let allVerdicts!: () => void;
    const verdictsIn = new Promise<void>((r) => (allVerdicts = r));
    followers.push(
      await followTopic({
        kafka,
        topic: topics.verdicts,
        groupId: `${prefix}bench-verdicts`,
        from: new Map(),
        logger,
        onRecord: (r) => {
          if (r.key !== null && !verdictAt.has(r.key)) {
            verdictAt.set(r.key, performance.now());
            if (Codecs.verdict.decode(r.value).decision === 'match') matchedIds.add(r.key);
          }
          if (verdictAt.size === args.events) allVerdicts();
          return Promise.resolve();
        },
      }),
      await followTopic({
        kafka,
        topic: topics.classifications,
        groupId: `${prefix}bench-classifications`,
        from: new Map(),
        logger,
        onRecord: () => {
          classifiedAt.push(performance.now());
          return Promise.resolve();
        },
      }),
    );

    const producer = await createProducer(kafka);
    const stagePids: Record<string, number[]> = {
      ...Object.fromEntries(services.map((s) => [s.name, [s.child.pid ?? -1]])),
      broker: pidsMatching('kafka.Kafka'),
      postgres: pidsMatching((comm) => comm === 'postgres' || comm.startsWith('postgres')),
      publisher: [process.pid],
    };
    const cpuOf = (pids: number[]) => pids.reduce((a, p) => a + (processCpuSeconds(p) ?? 0), 0);
    const scannerPid = services[0]?.child.pid ?? -1;
    const threadsBefore = threadCpuSeconds(scannerPid);
    const cpuBefore = Object.fromEntries(Object.entries(stagePids).map(([k, v]) => [k, cpuOf(v)]));
    const machineBefore = machineCpuTicks();

    // Publish: paced at --rate, or as fast as the broker takes them (a window of sends in flight).
    const publishedAt = new Map<string, number>();
    const knownIds = new Set<string>();
    const started = performance.now();
    const window = 16;
    let inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < events.length; i++) {
      if (args.rate > 0) {
        const due = started + (i * 1000) / args.rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const submissionId = randomUUID();
      const meta: MediaEventMeta = {
        eventId: randomUUID(),
        submissionId,
        tenantId: 'bench-platform',
        source: 'api',
        submittedAt: new Date().toISOString(),
      };
      publishedAt.set(submissionId, performance.now());
      if (events[i]!.known) knownIds.add(submissionId);
      inFlight.push(
        producer.send({
          topic: topics.mediaSubmitted,
          messages: [
            {
              key: submissionId,
              value: events[i]!.bytes,
              headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) },
            },
          ],
        }),
      );
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    const publishedS = (performance.now() - started) / 1000;
    await Promise.race([
      verdictsIn,
      sleep(Math.max(120_000, args.events * 100)).then(() => {
        throw new Error(`only ${verdictAt.size} of ${args.events} verdicts arrived`);
      }),
    ]);
    const verdictsS = (Math.max(...verdictAt.values()) - started) / 1000;
    const cpuAtVerdicts = Object.fromEntries(Object.entries(stagePids).map(([k, v]) => [k, cpuOf(v)]));
    const machineAtVerdicts = machineCpuTicks();
    const threadsAfter = threadCpuSeconds(scannerPid);
    const scannerThreadsMs = Object.fromEntries(
      [...threadsAfter].map(([name, s]) => [
        name,
        ((s - (threadsBefore.get(name) ?? 0)) * 1000) / args.events,
      ]),
    );
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
    const cpuAfter = Object.fromEntries(Object.entries(stagePids).map(([k, v]) => [k, cpuOf(v)]));

    const latencies = [...publishedAt]
      .map(([k, t]) => (verdictAt.get(k) ?? Number.NaN) - t)
      .sort((a, b) => a - b);
    const cpuPerEventMs = Object.fromEntries(
      Object.keys(stagePids).map((k) => [k, ((cpuAtVerdicts[k]! - cpuBefore[k]!) * 1000) / args.events]),
    );
    const classifierCpuPerImageMs = Object.fromEntries(
      Object.keys(stagePids)
        .filter((k) => k.startsWith('classifier'))
        .map((k) => [
          k,
          ((cpuAfter[k]! - (classifierCpuFrom.get(k) ?? cpuBefore[k]!)) * 1000) /
            Math.max(1, classifiedAt.length),
        ]),
    );
    const classifierThreadsMs = Object.fromEntries(
      [...threadCpuSeconds(firstClassifierPid)].map(([name, sec]) => [
        name,
        ((sec - (classifierThreadsFrom.get(name) ?? 0)) * 1000) / Math.max(1, classifiedAt.length),
      ]),
    );
    const utilisation =
      (machineAtVerdicts.busy - machineBefore.busy) /
      Math.max(1, machineAtVerdicts.total - machineBefore.total);
    const result = {
      machine,
      events: args.events,
      unmatched,
      meanKiB: Math.round(meanKiB),
      rate: args.rate,
      publishedPerS: args.events / publishedS,
      eventsPerS: args.events / verdictsS,
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      maxMs: latencies[latencies.length - 1],
      copiesMatched: [...knownIds].filter((k) => matchedIds.has(k)).length,
      copies: knownIds.size,
      falseMatches: [...matchedIds].filter((k) => !knownIds.has(k)).length,
      baselineHashCpuMs: baselineMs,
      cpuPerEventMs,
      scannerThreadsMs,
      scannerOverBaseline: (cpuPerEventMs['scanner'] ?? 0) / baselineMs,
      machineUtilisation: utilisation,
      loadAverage1m: load[0],
      classifierThreads: args.classifierThreads,
      classifierInstances: args.classifierThreads > 0 ? args.classifierInstances : 0,
      classified: classifiedAt.length,
      classifierPerS: classifierRate,
      classifierCpuPerImageMs,
      classifierThreadsMs,
    };
    if (args.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `${args.events} events (${args.events - unmatched} copies of ${bankImages} bank images, ${unmatched} unmatched), mean ${fmt(meanKiB, 0)} KiB, ${args.rate > 0 ? `paced at ${args.rate}/s` : 'as fast as possible'}`,
      );
      console.log(
        `hash-and-match: ${fmt(result.eventsPerS)} events/s sustained (published at ${fmt(result.publishedPerS)}/s); publish→verdict p50 ${fmt(result.p50Ms, 0)} ms, p99 ${fmt(result.p99Ms, 0)} ms, max ${fmt(result.maxMs ?? Number.NaN, 0)} ms`,
      );
      console.log(
        `matches: ${result.copiesMatched} of ${result.copies} copies of bank images matched, ${result.falseMatches} other events matched`,
      );
      console.log(
        `CPU-ms per event: ${Object.entries(cpuPerEventMs)
          .map(([k, v]) => `${k} ${fmt(v, 2)}`)
          .join(', ')}; machine ${fmt(utilisation * 100, 0)}% busy, load ${fmt(load[0] ?? 0, 2)}`,
      );
      console.log(
        `scanner CPU-ms per event by thread: ${Object.entries(scannerThreadsMs)
          .filter(([, v]) => v >= 0.01)
          .map(([k, v]) => `${k} ${fmt(v, 2)}`)
          .join(', ')}`,
      );
      console.log(
        `baseline (same run): decode${minSide > 0 ? ` (reduced, min side ${minSide})` : ''} + hashes ${fmt(baselineMs, 2)} CPU-ms per image in one thread; scanner ${fmt(result.scannerOverBaseline, 2)}x of it per event`,
      );
      if (args.classifierThreads > 0)
        console.log(
          `classifier: ${classifiedAt.length}/${unmatched} results, ${classifierRate === null ? 'n/a' : fmt(classifierRate, 2)}/s with ${args.classifierInstances} instance(s) x ${args.classifierThreads} thread(s)${args.classifierAfter ? ' on the backlog alone' : ' alongside (niced)'}; CPU-ms per image ${Object.entries(
            classifierCpuPerImageMs,
          )
            .map(([k, v]) => `${k} ${fmt(v, 0)}`)
            .join(', ')}; first instance by thread: ${Object.entries(classifierThreadsMs)
            .filter(([, v]) => v >= 0.01)
            .map(([k, v]) => `${k} ${fmt(v, 1)}`)
            .join(', ')}`,
        );
    }
    await producer.disconnect();
  } finally {
    await Promise.all(followers.map((f) => f.stop().catch(() => undefined)));
    await Promise.all(services.map((s) => stopService(s)));
    await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await db.end();
    await deleteTopics(
      kafka,
      topicSpecs(prefix).map((t) => t.name),
    ).catch(() => undefined);
    await removeAcls(kafka, acls).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
