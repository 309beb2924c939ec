import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { activeTraceIds } from './trace-context.js';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout, one object per line, with the service name on every line and, inside a trace,
 * its `trace_id` and `span_id` (a log line leads to its trace and back).
 * Never log media bytes, API keys or personal data: log digests and ids.
 */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: activeTraceIds,
    redact: {
      paths: ['*.apiKey', '*.authorization', 'req.headers.authorization', '*.mediaBase64'],
      censor: '***',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
