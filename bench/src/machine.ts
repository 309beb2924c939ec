import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** One line naming the machine a benchmark ran on (CPU model, cores, memory, Node). */
export function describeMachine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const gb = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${cpu}, ${os.availableParallelism()} cores, ${gb} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** CPU time (user + system) a process has used, in seconds; null when it is gone. Linux `/proc` only. */
export function processCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

function statCpuSeconds(path: string): number | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Pids of the processes whose command line contains `needle` (e.g. the broker's main class), Linux only. */
export function pidsMatching(needle: string | ((comm: string, cmdline: string) => boolean)): number[] {
  const out: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const hit = typeof needle === 'string' ? cmdline.includes(needle) : needle(comm, cmdline);
      if (hit) out.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Busy and total CPU time of the whole machine since boot, in ticks (`/proc/stat`). */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU seconds of a process's threads, summed by thread name (`/proc/<pid>/task/<tid>/comm`), Linux only. */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSafe(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const seconds = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
      if (seconds !== null) out.set(comm, (out.get(comm) ?? 0) + seconds);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
