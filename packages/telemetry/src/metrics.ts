import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A registry per service (injected everywhere; never the global one), with process metrics. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Metrics every pipeline step runner records: histograms and a counter, labelled by a small fixed set. */
export interface StepMetrics {
  duration: Histogram<'step' | 'outcome'>;
  outcomes: Counter<'step' | 'outcome'>;
  /**
   * Age of each message (its Kafka timestamp) when the step picks it up: the consumer's lag, in time. On partners'
   * topics that timestamp is the broker's append time (`LogAppendTime`), never one the partner chose.
   */
  messageAge: Histogram<'step'>;
  /** Time in each stage of a step (`timeStage`): where a step's time goes (scan: claim, hash, match, publish). */
  stages: Histogram<'step' | 'stage'>;
  /**
   * Records whose dead letters were folded into a summary letter (a source past its bound), counted once the summary
   * is written, by the tenant whose own topic the source is (`_internal`: one of ours). Each still counts as a `dlq`
   * outcome.
   */
  deadLettersFolded: Counter<'step' | 'tenant'>;
  /**
   * Bytes of records the consumer received and its steps have not started (a read-ahead below the runner's default
   * bounds them: the media workers').
   */
  readAheadBytes: Gauge<'step'>;
}

/** A step's stages, timed by name into `mod_step_stage_duration_seconds{step, stage}`. */
export interface StageTimer {
  time<T>(stage: string, run: () => Promise<T>): Promise<T>;
}

/** Times the stages of `step`; a stage that throws is timed too (its time was spent). */
export function stageTimer(metrics: Pick<StepMetrics, 'stages'>, step: string): StageTimer {
  return {
    async time(stage, run) {
      const end = metrics.stages.startTimer({ step, stage });
      try {
        return await run();
      } finally {
        end();
      }
    },
  };
}

export function createStepMetrics(registry: Registry): StepMetrics {
  return {
    duration: new Histogram({
      name: 'mod_step_duration_seconds',
      help: 'Time spent in one pipeline step, by outcome',
      labelNames: ['step', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'mod_step_outcomes_total',
      help: 'Pipeline step outcomes (ok, drop, dlq, retry)',
      labelNames: ['step', 'outcome'],
      registers: [registry],
    }),
    messageAge: new Histogram({
      name: 'mod_step_message_age_seconds',
      help: 'Age of a message (now less its Kafka timestamp) when the step picks it up',
      labelNames: ['step'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600],
      registers: [registry],
    }),
    stages: new Histogram({
      name: 'mod_step_stage_duration_seconds',
      help: 'Time spent in one stage of a pipeline step (e.g. scan: claim, hash, match, publish)',
      labelNames: ['step', 'stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    deadLettersFolded: new Counter({
      name: 'mod_dead_letters_folded_total',
      help: 'Records whose dead letters were folded into one summary letter (past the bound of their source), by tenant',
      labelNames: ['step', 'tenant'],
      registers: [registry],
    }),
    readAheadBytes: new Gauge({
      name: 'mod_step_read_ahead_bytes',
      help: 'Bytes of records received from Kafka that no step has started yet',
      labelNames: ['step'],
      registers: [registry],
    }),
  };
}
