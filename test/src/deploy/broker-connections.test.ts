import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deployDir } from './deploy-files.js';

// The connection limits in the brokers' server.properties, as deploy/local/kafka.sh and deploy/compose's
// kafka/start.sh write them (their write_config, run on their own, with throw-away credentials). Static settings:
// the running broker takes them at its next start.

const work = mkdtempSync(join(tmpdir(), 'mod-broker-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A properties file's settings. */
function properties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (line.startsWith('#') || at < 0) continue;
    out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

const run = (script: string, env: Record<string, string>): void => {
  execFileSync('bash', ['-c', script, 'bash'], {
    env: { PATH: process.env['PATH'] ?? '', HOME: work, ...env },
    stdio: 'pipe',
  });
};

describe('broker connection limits', () => {
  it("deploy/local: production's 100 connections per address, but loopback (every client here) lifted, and 2000 new a second", () => {
    for (const nodes of ['1', '3']) {
      const dataDir = join(work, `local-${nodes}`);
      // Its functions, and of its commands only `bootstrap`, which prints the brokers' addresses.
      run(`source '${join(deployDir, 'local/kafka.sh')}' bootstrap >/dev/null; write_config`, {
        MOD_DATA_DIR: dataDir,
        MOD_KAFKA_NODES: nodes,
      });
      const files =
        nodes === '1' ? ['kafka-server.properties'] : [1, 2, 3].map((i) => `kafka-server-${i}.properties`);
      for (const file of files) {
        const config = properties(readFileSync(join(dataDir, file), 'utf8'));
        expect(config.get('max.connections.per.ip'), file).toBe('100');
        // Every client here (the services, the tests, a local cluster's brokers) connects from loopback.
        expect(config.get('max.connections.per.ip.overrides'), file).toBe('127.0.0.1:10000');
        expect(config.get('max.connection.creation.rate'), file).toBe('2000');
      }
    }
  });

  it('deploy/compose: 100 connections per address and 50 new connections a second, no address lifted', () => {
    const secrets = join(work, 'secrets');
    mkdirSync(secrets, { recursive: true });
    for (const name of ['admin', 'controller'])
      writeFileSync(join(secrets, `kafka_${name}_password`), 'pw\n');
    // start.sh's functions (all but its commands, which start the broker), beside the file it sources.
    const scripts = join(work, 'compose-kafka');
    mkdirSync(scripts, { recursive: true });
    const start = readFileSync(join(deployDir, 'compose/kafka/start.sh'), 'utf8');
    const commands = start.lastIndexOf('\ncase "${1:-start}" in');
    expect(commands).toBeGreaterThan(0);
    writeFileSync(join(scripts, 'start.sh'), start.slice(0, commands + 1));
    copyFileSync(join(deployDir, 'compose/kafka/broker-config.sh'), join(scripts, 'broker-config.sh'));
    const runDir = join(work, 'compose-run');
    run(`source '${join(scripts, 'start.sh')}'; write_config`, {
      MOD_SECRETS_DIR: secrets,
      MOD_KAFKA_RUN_DIR: runDir,
    });
    const config = properties(readFileSync(join(runDir, 'server.properties'), 'utf8'));
    expect(config.get('max.connections.per.ip')).toBe('100');
    expect(config.get('max.connection.creation.rate')).toBe('50');
    expect(config.has('max.connections.per.ip.overrides')).toBe(false);
  });
});
