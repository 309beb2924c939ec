/**
 * `--huge-pages` for the index benchmarks: runs the same command in a child process started with
 * `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`. glibc then asks for transparent huge pages (2 MiB) for its large
 * allocations, typed arrays included, which the kernel grants in its `madvise` THP mode (this machine's). At 60M
 * entries most of a search is TLB misses on 4 KiB pages; the difference shows how much. Linux and glibc >= 2.35 only.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/**
 * When `--huge-pages` is among the arguments and this process was not started with the tunable, runs this same
 * command again with it (output inherited) and returns its exit code; otherwise returns undefined (run here).
 */
export function rerunWithHugePages(argv: readonly string[]): number | undefined {
  if (!argv.includes('--huge-pages')) return undefined;
  if ((process.env.GLIBC_TUNABLES ?? '').includes(HUGE_PAGES_TUNABLE)) return undefined;
  const tunables = [process.env.GLIBC_TUNABLES, HUGE_PAGES_TUNABLE].filter(Boolean).join(':');
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  return child.status ?? 1;
}

/** Anonymous memory of this process in transparent huge pages, in bytes (0 when none or unknown). */
export function hugePageBytes(): number {
  try {
    const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pages the typed arrays are in, for a result line (`bytes`: `hugePageBytes()`). */
export function describePages(bytes: number): string {
  const mib = (bytes / 2 ** 20).toFixed(0);
  return (process.env.GLIBC_TUNABLES ?? '').includes(HUGE_PAGES_TUNABLE)
    ? `2 MiB huge pages (GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}): ${mib} MiB of the process`
    : `4 KiB pages (${mib} MiB of the process in huge pages)`;
}
