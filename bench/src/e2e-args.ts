/** The options of `bench:e2e` (listed in e2e.ts). */

export interface Args {
  events: number;
  rate: number;
  knownShare: number;
  classifierThreads: number;
  classifierInstances: number;
  classifierAfter: boolean;
  /** Cores each classifier thread may use (a cgroup CPU budget per instance); 0: no budget. */
  classifierCoresPerThread: number;
  /** Partitions of the internal media topic; 0: the default layout. */
  mediaPartitions: number;
  hashThreads: number;
  env: Record<string, string>;
  json: boolean;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    events: 2000,
    rate: 0,
    knownShare: 0.3,
    classifierThreads: 0,
    classifierInstances: 1,
    classifierAfter: false,
    classifierCoresPerThread: 0,
    mediaPartitions: 0,
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
    else if (flag === '--classifier-cores-per-thread') a.classifierCoresPerThread = num();
    else if (flag === '--media-partitions') a.mediaPartitions = Math.floor(num());
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
