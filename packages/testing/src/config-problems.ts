/**
 * What a configuration load refused: the problems of the `@mod/config` ConfigError it threw
 * (`MOD_ERR_CONFIG_INVALID`), one a setting, for a test to compare. Anything else it throws is thrown again; a load
 * that succeeds is an error.
 */
export function configProblems(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    const refusal = error as { code?: unknown; problems?: unknown };
    if (refusal.code === 'MOD_ERR_CONFIG_INVALID' && Array.isArray(refusal.problems))
      return refusal.problems as string[];
    throw error;
  }
  throw new Error('the configuration was accepted');
}
