import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The services `bench:e2e` runs: built `services/<x>/dist/main.js`, each its own process, as an operator runs them. */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Service {
  name: string;
  child: ChildProcess;
  opsPort: number;
}

/** Starts `entry` (relative to the repository) with `env`, its ops server on `opsPort`, logging warnings. */
export function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  opsPort: number,
): Service {
  const child = spawn(process.execPath, [join(repoRoot, entry)], {
    env: { ...process.env, ...env, OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { name, child, opsPort };
}

/** Waits until the service answers `/health/ready`; throws if it exits or is not ready in time. */
export async function waitReady(s: Service, timeoutMs = 90_000): Promise<void> {
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

/** SIGTERM, then SIGKILL after 20 s. */
export async function stopService(s: Service): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000).then(() => s.child.kill('SIGKILL'))]);
}
