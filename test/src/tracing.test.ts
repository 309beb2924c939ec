import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createTracing, SpanKind, type Tracing } from '@mod/telemetry';
import {
  createWorld,
  multipart,
  readPartners,
  seedKnownImage,
  startPipeline,
  waitFor,
  type Pipeline,
  type World,
} from './helpers.js';

// One upload followed through three services by its trace: the API's request span, the scanner's scan, the
// actioner's action and the blocking request it publishes to the ISP. Spans are taken two ways: the SDK's
// in-memory exporter, and a real OTLP/HTTP export to a collector listening on loopback.

/** A minimal OTLP/HTTP (JSON) receiver: what a collector would get. */
interface Collected {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

const hex = (v: unknown): string =>
  typeof v !== 'string' || v === ''
    ? ''
    : /^[0-9a-f]+$/.test(v)
      ? v
      : Buffer.from(v, 'base64').toString('hex');

function startCollector(): Promise<{ server: Server; url: string; spans: Collected[]; types: string[] }> {
  const spans: Collected[] = [];
  const types: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      types.push(req.headers['content-type'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: {
            spans: { traceId: string; spanId: string; parentSpanId?: string; name: string }[];
          }[];
        }[];
      };
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            spans.push({
              service,
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              name: s.name,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, spans, types });
    }),
  );
}

let world: World;
let pipeline: Pipeline;
let collector: Awaited<ReturnType<typeof startCollector>>;
const memory = new InMemorySpanExporter();
const tracings: Record<'api' | 'scanner' | 'actioner', Tracing> = {} as never;
let platformKey: string;
let known: Buffer;

beforeAll(async () => {
  collector = await startCollector();
  for (const service of ['api', 'scanner', 'actioner'] as const)
    tracings[service] = createTracing({ service, exporter: memory, otlpEndpoint: collector.url });
  world = createWorld();
  pipeline = await startPipeline(world, {}, { tracing: tracings });
  ({ known, platformKey } = await seedKnownImage(world, pipeline, { seed: 11, isps: ['isp-1'] }));
});

afterAll(async () => {
  await pipeline?.stop();
  await world?.drop();
  await new Promise((r) => collector?.server.close(r));
});

const serviceOf = (s: ReadableSpan) => String(s.resource.attributes['service.name']);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId ?? '';

describe('traces across the services (real Kafka and Postgres)', () => {
  it('follows one upload from POST /v1/media through scanner and actioner to the ISP request, in one trace', async () => {
    // A caller that sends its own trace context: linked, never adopted (the API is the public edge).
    const callerTraceId = randomBytes(16).toString('hex');
    const callerParent = `00-${callerTraceId}-${randomBytes(8).toString('hex')}-01`;
    const sharp = (await import('sharp')).default;
    const copy = await sharp(known).jpeg({ quality: 70 }).toBuffer();
    const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes: copy });
    const res = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...body.headers, authorization: `Bearer ${platformKey}`, traceparent: callerParent },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(202);
    const { submissionId, sha256 } = res.json<{ submissionId: string; sha256: string }>();

    // The blocking request (its subject: the media's SHA-256) reaches the ISP's topic carrying the trace.
    const requests = await readPartners(world, 'blockingRequests', ['isp-1'], (r) =>
      r.some((m) => m.value?.toString('utf8').includes(sha256) === true),
    );
    const request = requests.find((m) => m.value?.toString('utf8').includes(sha256) === true);
    const traceparent = request?.headers['traceparent']?.toString('latin1') ?? '';
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, publishSpanId] = traceparent.split('-');

    const spans = await waitFor('the publish span', async () => {
      const all = memory.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      return all.some((s) => s.name === 'publish') ? all : undefined;
    });
    const one = (service: string, name: string) => {
      const found = spans.filter((s) => serviceOf(s) === service && s.name === name);
      expect(found, `${service} ${name}`).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    const request_ = one('api', 'POST /v1/media');
    const scan = one('scanner', 'scan');
    const action = one('actioner', 'action');
    const publish = one('actioner', 'publish');

    // A chain: request → scan (consumer of the media message) → action (consumer of the verdict) → publish.
    expect(parentOf(request_)).toBe('');
    expect(request_.kind).toBe(SpanKind.SERVER);
    expect(request_.attributes['http.response.status_code']).toBe(202);
    expect(request_.links.map((l) => l.context.traceId)).toEqual([callerTraceId]);
    expect(traceId).not.toBe(callerTraceId);
    expect(scan.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(scan)).toBe(request_.spanContext().spanId);
    expect(scan.attributes['mod.outcome']).toBe('ok');
    expect(scan.attributes['messaging.kafka.message.key']).toBe(submissionId);
    expect(action.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(action)).toBe(scan.spanContext().spanId);
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(publish)).toBe(action.spanContext().spanId);
    expect(publish.spanContext().spanId).toBe(publishSpanId);
    expect(publish.attributes['messaging.destination.name']).toBe(request?.topic);

    // The same trace left the process over OTLP/HTTP from each of the three services.
    await Promise.all(Object.values(tracings).map((t) => t.forceFlush()));
    const exported = collector.spans.filter((s) => s.traceId === traceId);
    expect(new Set(exported.map((s) => s.service))).toEqual(new Set(['api', 'scanner', 'actioner']));
    expect(exported.find((s) => s.name === 'scan')?.parentSpanId).toBe(request_.spanContext().spanId);
    expect(collector.types.every((t) => t.startsWith('application/json'))).toBe(true);
  });
});
