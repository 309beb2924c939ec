import type { StepOutcome } from '@mod/kafka';

/** What a stage of a step gives the next: its result, or the message's final outcome (the step stops there). */
export type Stage<T> = { next: T; done?: undefined } | { done: StepOutcome; next?: undefined };
