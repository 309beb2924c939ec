import { ModError } from '@mod/contracts';

/** Start-up configuration is wrong. `problems` lists every problem found, not just the first. */
export class ConfigError extends ModError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('MOD_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}
