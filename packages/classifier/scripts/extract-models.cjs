// One-off provenance script: copies the model files this package uses out of the installed npm packages
// into <repo>/models and writes each folder's manifest.json (SHA-256 of every file).
// Run from the repo root: node packages/classifier/scripts/extract-models.cjs
// nsfwjs 4.4.0 ships its models as CommonJS bundles (model.min.js = the model.json object,
// group1-shard1of1.min.js = the weights as base64); they are written back out as model.json + .bin unchanged.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const pkgDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(pkgDir, '../..');
const modelsDir = path.join(repoRoot, 'models');
const pkgRequire = require('node:module').createRequire(path.join(pkgDir, 'package.json'));

function packageRoot(name) {
  // Resolve the package directory through its package.json, whichever export map it has.
  let dir = path.dirname(pkgRequire.resolve(name));
  while (
    !fs.existsSync(path.join(dir, 'package.json')) ||
    JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== name
  ) {
    dir = path.dirname(dir);
  }
  return dir;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function writeManifest(dir, meta) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f !== 'manifest.json' && f !== 'MODEL_CARD.md')
    .sort()
    .map((f) => ({ path: f, bytes: fs.statSync(path.join(dir, f)).size, sha256: sha256(path.join(dir, f)) }));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...meta, files }, null, 2) + '\n');
}

// nsfwjs MobileNetV2 (224x224, Keras layers model)
{
  const root = packageRoot('nsfwjs');
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const out = path.join(modelsDir, 'nsfw-mobilenet-v2');
  fs.mkdirSync(out, { recursive: true });
  const modelJson = require(path.join(root, 'dist/models/mobilenet_v2/model.min.js'));
  const weightsB64 = require(path.join(root, 'dist/models/mobilenet_v2/group1-shard1of1.min.js'));
  const shard = 'group1-shard1of1.bin';
  const json = {
    ...modelJson,
    weightsManifest: modelJson.weightsManifest.map((g) => ({ ...g, paths: [shard] })),
  };
  fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(out, shard), Buffer.from(weightsB64, 'base64'));
  writeManifest(out, {
    id: 'nsfw-mobilenet-v2',
    version: `nsfwjs@${version}/mobilenet_v2`,
    format: 'layers-model',
    inputSize: 224,
    labels: ['drawing', 'hentai', 'neutral', 'porn', 'sexy'],
    source: `npm:nsfwjs@${version} dist/models/mobilenet_v2`,
    licence: 'MIT',
  });
}

// @vladmandic/human blazeface (face detector, 256x256) + faceres (age/gender/descriptor, 224x224)
{
  const root = packageRoot('@vladmandic/human');
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const out = path.join(modelsDir, 'face-age');
  fs.mkdirSync(out, { recursive: true });
  for (const f of ['blazeface.json', 'blazeface.bin', 'faceres.json', 'faceres.bin']) {
    fs.copyFileSync(path.join(root, 'models', f), path.join(out, f));
  }
  writeManifest(out, {
    id: 'face-age',
    version: `@vladmandic/human@${version}/blazeface+faceres`,
    format: 'graph-model',
    inputSize: { detector: 256, age: 224 },
    labels: ['age-years-0..99'],
    source: `npm:@vladmandic/human@${version} models/`,
    licence: 'MIT',
  });
}
