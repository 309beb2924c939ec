import type { Command } from './command.js';
import { auditCommand } from './commands/audit.js';
import { bankCommand } from './commands/bank.js';
import { hashCommand } from './commands/hash.js';
import { dlqCommand } from './commands/dlq.js';
import { kafkaCommand } from './commands/kafka.js';
import { keyCommand } from './commands/key.js';
import { peopleCommand } from './commands/people.js';
import { tenantCommand } from './commands/tenant.js';
import { urlListCommand } from './commands/url-list.js';

export type { Command, CommandIo } from './command.js';
export { modctlUsage, modctlVersion, runModctl } from './cli.js';
export { CliError, CliErrorCode } from './errors.js';
/** The tenant standing watcher's metrics (`modctl kafka standing --watch`), for what checks the alert rules against them. */
export { createStandingWatchMetrics, type StandingWatchMetrics } from './commands/kafka-standing-watch.js';

/** Every sub-command, in the order `modctl --help` lists them. Each lives in `src/commands/<name>.ts`. */
export const commands: readonly Command[] = [
  hashCommand,
  bankCommand,
  urlListCommand,
  auditCommand,
  tenantCommand,
  keyCommand,
  peopleCommand,
  kafkaCommand,
  dlqCommand,
];
