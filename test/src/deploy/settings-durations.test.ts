import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, MAX_TIMER_MS } from '@mod/config';
import { obj, specs } from './deploy-files.js';
import { chart } from './helm-chart.js';

// Node's timers (setTimeout, setInterval) run a delay above 2^31 - 1 ms (about 24.8 days) after 1 ms. A duration
// setting given in the wrong unit (microseconds, say) must fail at start-up, never turn a shutdown budget, a poll
// interval or a timeout into 1 ms.
describe("every role's millisecond settings", () => {
  it.each(Object.keys(specs) as (keyof typeof specs)[])(
    '%s: refuses a delay longer than timers take',
    (role) => {
      const spec = specs[role];
      const durations = Object.keys(spec).filter((key) => key.endsWith('_MS'));
      if (role !== 'kafka-setup') expect(durations).toContain('SHUTDOWN_TIMEOUT_MS');
      for (const key of durations) {
        const field = spec[key];
        expect(field?.parse(String(2 ** 31)), key).toHaveProperty('problem');
        expect(() => loadConfig({ [key]: field! }, { [key]: '3000000000' }), key).toThrow(
          new RegExp(`${key} must be <=`),
        );
      }
    },
  );
});

describe('values.schema.json of deploy/helm/moderation', () => {
  it("refuses a shutdown budget the services' configuration refuses", () => {
    const schema = obj(JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')));
    expect(obj(obj(schema['properties'])['shutdownTimeoutMs'])['maximum']).toBe(MAX_TIMER_MS);
  });
});
