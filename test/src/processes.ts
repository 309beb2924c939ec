import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Services run as operators run them (`deploy/local/demo.sh`): `node services/<role>/dist/main.js`, configured by
 * environment only, JSON logs on stdout. For tests that crash a process (SIGKILL) or start one beside a broker.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export type ServiceRole = 'api' | 'scanner' | 'actioner' | 'fetcher';

export interface ServiceProcess {
  role: ServiceRole;
  child: ChildProcess;
  /** Its ops server (`/metrics`, `/health/*`). */
  opsUrl: string;
  /** When it was spawned, ms since the epoch. */
  startedAt: number;
  /** Its log lines so far (stdout and stderr). */
  lines: string[];
  /** Settles when the process has exited: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `/health/ready` answers 200; rejects if the process exits first or `timeoutMs` passes. */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last `n` log lines, for a failure's message. */
  tail(n?: number): string;
}

/** A port free now on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts a service's built entry point with `env` on top of this process's environment (minus its Kafka and
 * database settings, so a service sees only its own), an ops server on a free port, and its log in `logDir`.
 */
export async function spawnService(
  role: ServiceRole,
  env: Record<string, string>,
  o: { logDir: string; name?: string },
): Promise<ServiceProcess> {
  const port = await freePort();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(KAFKA_|DATABASE_|TOPIC_PREFIX|OPS_)/.test(k)),
  );
  const child = spawn(process.execPath, [join(repoRoot, 'services', role, 'dist', 'main.js')], {
    cwd: repoRoot,
    env: { ...inherited, LOG_LEVEL: 'info', ...env, OPS_HOST: '127.0.0.1', OPS_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const startedAt = Date.now();
  const lines: string[] = [];
  const file = createWriteStream(join(o.logDir, `${o.name ?? role}-${child.pid ?? 'x'}.log`));
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      file.write(chunk);
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      file.end();
      resolve({ code, signal });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const opsUrl = `http://127.0.0.1:${port}`;
  const tail = (n = 30) => lines.slice(-n).join('\n');
  return {
    role,
    child,
    opsUrl,
    startedAt,
    lines,
    exited,
    tail,
    async ready(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (gone) throw new Error(`${role} exited before it was ready:\n${tail()}`);
        const status = await fetch(`${opsUrl}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`${role} not ready after ${timeoutMs} ms:\n${tail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill(signal) {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}
