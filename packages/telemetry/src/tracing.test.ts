import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import {
  context,
  contextOfTraceparent,
  createLogger,
  createTracing,
  MAX_ATTRIBUTE_CHARS,
  spanContextOfTraceparent,
  trace,
  traceparentOf,
  withoutTrace,
} from './index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('trace context', () => {
  it('reads a W3C traceparent and writes it back; anything malformed is no parent at all', () => {
    const value = `00-${TRACE}-${SPAN}-01`;
    expect(traceparentOf(contextOfTraceparent(value))).toBe(value);
    expect(traceparentOf(contextOfTraceparent(Buffer.from(value)))).toBe(value);
    expect(spanContextOfTraceparent(value)).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
    for (const bad of [
      undefined,
      null,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01${'x'.repeat(200)}`,
    ]) {
      expect(traceparentOf(contextOfTraceparent(bad)), String(bad)).toBeNull();
      expect(spanContextOfTraceparent(bad)).toBeNull();
    }
  });

  it('follows the active span through async work, and not into work started outside the trace', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ service: 'unit', exporter });
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger('unit', 'info', sink);
    let inner: string | null = null;
    let outside: string | null = 'unset';
    await tracing.tracer.startActiveSpan('work', async (span) => {
      await new Promise((r) => setTimeout(r, 5));
      inner = traceparentOf();
      logger.info('inside');
      outside = withoutTrace(() => traceparentOf());
      withoutTrace(() => logger.info('outside'));
      span.end();
    });
    logger.info('after');
    const [work] = exporter.getFinishedSpans();
    const { traceId, spanId } = work?.spanContext() ?? { traceId: '', spanId: '' };
    expect(inner).toBe(`00-${traceId}-${spanId}-01`);
    expect(outside).toBeNull();
    expect(work?.resource.attributes['service.name']).toBe('unit');
    // Log lines inside the trace name it; others do not.
    expect(lines.map((l) => [l['msg'], l['trace_id'], l['span_id']])).toEqual([
      ['inside', traceId, spanId],
      ['outside', undefined, undefined],
      ['after', undefined, undefined],
    ]);
    expect(trace.getSpan(context.active())).toBeUndefined();
    await tracing.shutdown();
  });

  it("keeps at most MAX_ATTRIBUTE_CHARS of an attribute's value (a sender's Kafka key may be megabytes)", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ service: 'unit', exporter });
    const span = tracing.tracer.startSpan('consume', {
      attributes: { 'messaging.kafka.message.key': 'k'.repeat(1e6) },
    });
    span.setAttribute('later', 'v'.repeat(1e6));
    span.end();
    const [consumed] = exporter.getFinishedSpans();
    expect(consumed?.attributes['messaging.kafka.message.key']).toBe('k'.repeat(MAX_ATTRIBUTE_CHARS));
    expect(consumed?.attributes['later']).toBe('v'.repeat(MAX_ATTRIBUTE_CHARS));
    await tracing.shutdown();
  });

  it('samples new traces by ratio but always follows a sampled parent', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ service: 'unit', exporter, sampleRatio: 0 });
    tracing.tracer.startSpan('new trace').end();
    tracing.tracer.startSpan('child', {}, contextOfTraceparent(`00-${TRACE}-${SPAN}-01`)).end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['child']);
    await tracing.shutdown();
  });
});

describe('OTLP export', () => {
  it('posts spans to <endpoint>/v1/traces with the configured headers', async () => {
    const received: { url: string; auth: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ url: req.url ?? '', auth: req.headers.authorization ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const tracing = createTracing({
        service: 'exporting',
        otlpEndpoint: `http://127.0.0.1:${port}/`,
        otlpHeaders: 'authorization=Bearer%20abc,x-tenant=mod',
      });
      tracing.tracer.startSpan('exported span').end();
      await tracing.forceFlush();
      await tracing.shutdown();
      expect(received.map((r) => [r.url, r.auth])).toEqual([['/v1/traces', 'Bearer abc']]);
      expect(received[0]?.body).toContain('"exported span"');
      expect(received[0]?.body).toContain('"exporting"');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
