import { Counter, type Registry } from '@mod/telemetry';

/** A counter of a worker's metrics by one label. */
export interface LabelledCounterSpec<L extends string> {
  name: string;
  help: string;
  label: L;
  /** The label's values whose series exist from the start, at 0 (so the first of each is an increase alerts see). */
  zeroed?: readonly string[];
}

/** A counter registered in `registry`, by its one label, with the `zeroed` values' series at 0. */
export function labelledCounter<L extends string>(
  registry: Registry,
  spec: LabelledCounterSpec<L>,
): Counter<L> {
  const counter = new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: [spec.label],
    registers: [registry],
  });
  for (const value of spec.zeroed ?? []) counter.labels(value).inc(0);
  return counter;
}
