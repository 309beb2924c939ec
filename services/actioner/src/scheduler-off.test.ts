import { describe, expect, it } from 'vitest';
import { loadConfig } from '@mod/config';
import { createLogger, createRegistry } from '@mod/telemetry';
import { actionerSpec } from './config.js';
import { createActionerService } from './service.js';

/** The actioner as made from `env` (nothing started: no broker or database is reached), and what it logged. */
async function madeWith(env: Record<string, string>): Promise<{ level: string; msg: string }[]> {
  const lines: string[] = [];
  const logger = createLogger('actioner', 'info', { write: (line: string) => void lines.push(line) });
  const config = loadConfig(actionerSpec, {
    KAFKA_SASL_USERNAME: 'mod-actioner',
    KAFKA_SASL_PASSWORD: 'unused',
    ...env,
  });
  const service = createActionerService(config, logger, createRegistry('actioner'));
  await service.stop();
  return lines.map((l) => JSON.parse(l) as { level: string; msg: string });
}

describe('ORDER_SCHEDULER_INTERVAL_MS', () => {
  it('0 turns the scheduled passes off, and the actioner says so at warn level (not a quiet "as fast as it can")', async () => {
    const off = await madeWith({ ORDER_SCHEDULER_INTERVAL_MS: '0' });
    expect(off).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/^order scheduler off/) as unknown,
      }),
    );
    const on = await madeWith({});
    expect(on.filter((l) => l.msg.startsWith('order scheduler off'))).toEqual([]);
  });
});
