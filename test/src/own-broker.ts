import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterAccess } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('../../deploy/local/kafka.sh', import.meta.url));

/** A Kafka cluster of a test's own (`deploy/local/kafka.sh` in a temporary data folder, on its own ports). */
export interface OwnBroker {
  /** Its data folder (logs of processes tests start against it may go there too). */
  dir: string;
  /** Runs `kafka.sh` for this cluster (`start`, `stop`, `bootstrap`, `kill-node N`, ...); returns its stdout. */
  kafkaSh(...args: string[]): string;
  /** After `start`: how a world reaches the cluster (admin principal, CA, the services' credentials). */
  access(): ClusterAccess;
  /** Stops the cluster and deletes its folder. */
  remove(): Promise<void>;
}

export async function ownBroker(o: { nodes: number; port: number; name: string }): Promise<OwnBroker> {
  const dir = await mkdtemp(join(tmpdir(), `${o.name}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MOD_DATA_DIR: dir,
    MOD_KAFKA_NODES: String(o.nodes),
    MOD_KAFKA_PORT: String(o.port),
    MOD_KAFKA_CONTROLLER_PORT: String(o.port + 1),
  };
  const kafkaSh = (...args: string[]) =>
    execFileSync('bash', [SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  return {
    dir,
    kafkaSh,
    access() {
      const admin = Object.fromEntries(
        readFileSync(join(dir, 'kafka-credentials', 'admin.env'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=', 2) as [string, string]),
      );
      return {
        brokers: kafkaSh('bootstrap').trim(),
        env: {
          ...admin,
          KAFKA_TLS_CA_PATH: join(dir, 'kafka-tls', 'ca.pem'),
          MOD_KAFKA_CREDENTIALS_DIR: join(dir, 'kafka-credentials'),
        },
        replicationFactor: o.nodes,
      };
    },
    async remove() {
      kafkaSh('stop');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
