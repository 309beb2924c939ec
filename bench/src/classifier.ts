/**
 * Classifier benchmark: images/s per core, model load time and peak RSS, per model, backend and batch size
 * (1, 4, 16). Every configuration runs in its own child process with one wasm thread and
 * sharp.concurrency(1), so loadMs and peakRssBytes belong to that configuration alone. Throughput is end to
 * end from encoded 640x480 JPEGs (decode + resize in sharp + inference). imagesPerSecondPerCore divides by
 * the process's CPU time (user + system, every thread counted), which is what one core delivers and does
 * not depend on what else the machine runs; imagesPerSecondWall is the wall-clock rate of this run.
 *
 * Rows:
 *   nsfw-mobilenet-v2            the NSFW model as the classifier runs it (batch norms folded, fused kernels)
 *   nsfw-mobilenet-v2:layers     baseline: the same weights through tfjs-layers, as nsfwjs runs them
 *   nsfw-mobilenet-v2+face-age   the full classify(): NSFW + face detector + age estimate (half the images hold a face)
 *   nsfw-mobilenet-v2+face-age:gated   the same with faceMinSexualProbability = safeFaceGate(default thresholds):
 *                                the face model is skipped where it cannot change a decision (these benign images)
 *
 * Usage: node bench/dist/classifier.js [--json] [--images N]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createClassifier, ensureBackend, safeFaceGate, type ClassifierOptions } from '@mod/classifier';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '../..');
const MODELS_DIR = join(REPO, 'models');
const FACE_FIXTURE = join(REPO, 'packages/classifier/fixtures/face-adult.jpg');

type ModelName =
  | 'nsfw-mobilenet-v2'
  | 'nsfw-mobilenet-v2:layers'
  | 'nsfw-mobilenet-v2+face-age'
  | 'nsfw-mobilenet-v2+face-age:gated';

interface Config {
  readonly model: ModelName;
  readonly backend: 'wasm' | 'tensorflow';
  readonly batchSize: number;
  readonly images: number;
}

interface Row {
  model: ModelName;
  backend: string;
  batchSize: number;
  imagesPerSecondPerCore: number;
  imagesPerSecondWall: number;
  loadMs: number;
  peakRssBytes: number;
  simd?: boolean;
  /** Throughput divided by the tfjs-layers baseline at the same batch size (NSFW rows). */
  ratioVsBaseline?: number;
}

/** Photo-like 640x480 JPEG: gradient sky, noisy ground, a few shapes. */
async function photoLike(seed: number): Promise<Uint8Array> {
  const width = 640;
  const height = 480;
  const shapes = Array.from({ length: 8 }, (_, k) => {
    const x = ((seed * 97 + k * 131) % 100) / 100;
    const y = ((seed * 53 + k * 71) % 100) / 100;
    return `<circle cx="${x * width}" cy="${y * height}" r="${30 + ((seed + k * 17) % 60)}" fill="hsl(${(seed * 40 + k * 33) % 360},60%,50%)"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3c78dc"/><stop offset="0.55" stop-color="#c8dcf0"/><stop offset="0.56" stop-color="#3c8c28"/><stop offset="1" stop-color="#5a5a32"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 20 };
  const grain = await sharp({ create: { width, height, channels: 3, background: '#000', noise } })
    .png()
    .toBuffer();
  const out = await sharp(Buffer.from(svg))
    .composite([{ input: grain, blend: 'overlay' }])
    .jpeg({ quality: 85 })
    .toBuffer();
  return new Uint8Array(out);
}

/** The face fixture pasted into a photo-like background, so the face model has work to do. */
async function withFace(seed: number): Promise<Uint8Array> {
  const face = readFileSync(FACE_FIXTURE);
  const bg = await photoLike(seed);
  const out = await sharp(bg)
    .composite([{ input: await sharp(face).resize(240).toBuffer(), left: 200, top: 120 }])
    .jpeg({ quality: 85 })
    .toBuffer();
  return new Uint8Array(out);
}

async function runChild(config: Config): Promise<Row> {
  sharp.concurrency(1);
  sharp.cache(false);
  const images: Uint8Array[] = [];
  for (let i = 0; i < config.images; i++) {
    images.push(config.model.includes('face-age') && i % 2 === 0 ? await withFace(i) : await photoLike(i));
  }
  const options: ClassifierOptions = {
    modelsDir: MODELS_DIR,
    backend: config.backend,
    batchSize: config.batchSize,
    faces: config.model.includes('face-age'),
    faceMinSexualProbability: config.model.endsWith(':gated') ? safeFaceGate() : 0,
    nsfwExecutor: config.model === 'nsfw-mobilenet-v2:layers' ? 'layers' : 'fused',
  };
  const classifier = await createClassifier(options);
  const warm = await classifier.classify(images.slice(0, config.batchSize));
  if (!warm.every((r) => r.ok)) throw new Error(`warm-up failed: ${JSON.stringify(warm.find((r) => !r.ok))}`);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < images.length; i += config.batchSize) {
    await classifier.classify(images.slice(i, i + config.batchSize));
  }
  const wallS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const row: Row = {
    model: config.model,
    backend: classifier.backend.name,
    batchSize: config.batchSize,
    imagesPerSecondPerCore: images.length / cpuS,
    imagesPerSecondWall: images.length / wallS,
    loadMs: classifier.loadMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    simd: classifier.backend.simd,
  };
  classifier.dispose();
  return row;
}

function spawnConfig(config: Config): Row {
  const args = [fileURLToPath(import.meta.url), '--child', JSON.stringify(config)];
  const res = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`child ${JSON.stringify(config)} failed: ${res.stderr}`);
  const last = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Row;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) {
    const row = await runChild(JSON.parse(argv[childAt + 1] ?? '{}') as Config);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  const json = argv.includes('--json');
  const imagesAt = argv.indexOf('--images');
  const images = imagesAt >= 0 ? Number(argv[imagesAt + 1]) : 48;
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    vips: sharp.versions.vips,
    loadAverage1m: loadavg()[0] ?? 0,
  };
  // Which backends can run here: tensorflow needs @tensorflow/tfjs-node (absent offline), wasm ships in npm.
  const info = await ensureBackend();
  const backends: ('wasm' | 'tensorflow')[] = info.name === 'tensorflow' ? ['tensorflow', 'wasm'] : ['wasm'];
  const skipped = info.notes.map((n) => ({ backend: n.split(':')[0] ?? '', reason: n }));

  const rows: Row[] = [];
  for (const backend of backends) {
    for (const model of [
      'nsfw-mobilenet-v2:layers',
      'nsfw-mobilenet-v2',
      'nsfw-mobilenet-v2+face-age',
      'nsfw-mobilenet-v2+face-age:gated',
    ] as const) {
      for (const batchSize of [1, 4, 16]) {
        const row = spawnConfig({ model, backend, batchSize, images });
        const base = rows.find(
          (r) =>
            r.model === 'nsfw-mobilenet-v2:layers' && r.backend === row.backend && r.batchSize === batchSize,
        );
        if (base !== undefined && model !== 'nsfw-mobilenet-v2:layers') {
          row.ratioVsBaseline = row.imagesPerSecondPerCore / base.imagesPerSecondPerCore;
        }
        rows.push(row);
        if (!json) process.stderr.write('.');
      }
    }
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ machine, imagesPerConfig: images, skipped, results: rows }, null, 2)}\n`,
    );
    return;
  }
  process.stderr.write('\n');
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, libvips ${machine.vips}`,
  );
  console.log(
    `one thread per configuration (wasm threads 1, sharp.concurrency 1), ${images} encoded 640x480 JPEGs, end to end;`,
  );
  console.log(
    `images/s/core = images / CPU seconds; load average at start ${machine.loadAverage1m.toFixed(2)}`,
  );
  for (const s of skipped) console.log(`skipped backend ${s.backend}: ${s.reason}`);
  console.log('');
  const header = [
    'model',
    'backend',
    'batch',
    'images/s/core',
    'wall images/s',
    'vs layers',
    'loadMs',
    'peak RSS MB',
  ];
  const table = rows.map((r) => [
    r.model,
    `${r.backend}${r.simd ? '+simd' : ''}`,
    String(r.batchSize),
    r.imagesPerSecondPerCore.toFixed(1),
    r.imagesPerSecondWall.toFixed(1),
    r.ratioVsBaseline === undefined ? '-' : `${r.ratioVsBaseline.toFixed(2)}x`,
    r.loadMs.toFixed(0),
    (r.peakRssBytes / 1048576).toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const t of table) console.log(line(t));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
