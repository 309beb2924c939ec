import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A CPU budget for one benchmarked process: a cgroup (v1 `cpu` controller, or v2 where it is the only hierarchy)
 * whose CFS quota is `cores` cores. A machine with two cores cannot show a stage doubling its rate with twice the
 * threads when the broker, the database and the other stages share those cores; giving every thread the same
 * budget (half a core each, say) shows whether the stage itself scales, which is what adding cores or machines
 * would buy. Needs root (the benchmark machine and CI run as root); refuses clearly otherwise.
 */
export interface CpuQuota {
  readonly path: string;
  readonly cores: number;
  /** Moves a process (and the threads it starts later) into the budget. */
  add(pid: number): void;
  /** Removes the cgroup once its processes have exited. */
  remove(): void;
}

const PERIOD_US = 100_000;

export function createCpuQuota(name: string, cores: number): CpuQuota {
  if (!(cores > 0)) throw new Error(`a CPU budget needs a positive number of cores, not ${cores}`);
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = '/sys/fs/cgroup';
  const useV1 = existsSync(join(v1, 'cpu.cfs_quota_us')) || existsSync(join(v1, 'tasks'));
  const root = useV1 ? v1 : v2;
  const path = join(root, `mod-bench-${name}-${process.pid}`);
  try {
    mkdirSync(path, { recursive: true });
    const quota = Math.round(cores * PERIOD_US);
    if (useV1) {
      writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(path, 'cpu.cfs_quota_us'), String(quota));
    } else {
      writeFileSync(join(path, 'cpu.max'), `${quota} ${PERIOD_US}`);
    }
  } catch (err) {
    throw new Error(
      `cannot create the CPU budget ${path} (root and a cgroup cpu controller are needed): ${(err as Error).message}`,
    );
  }
  return {
    path,
    cores,
    add(pid) {
      writeFileSync(join(path, 'cgroup.procs'), String(pid));
    },
    remove() {
      try {
        rmdirSync(path);
      } catch {
        // still has processes (a straggler being killed): the kernel keeps it; harmless, and named by pid
      }
    },
  };
}
