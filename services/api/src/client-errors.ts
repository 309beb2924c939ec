import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ApiErrorCodes, type ApiErrorCode } from './errors.js';

/** Sockets already answered: Node's parser may report further errors on the same connection. */
const answered = new WeakSet<Duplex>();

/** Time a refused connection stays half-open for the client to read the answer before it is closed. */
const LINGER_MS = 2_000;

/** The answer to an error Node's HTTP parser raised before any route (or fastify's error handler) ran. */
export function clientErrorAnswer(nodeCode: string | undefined): { code: ApiErrorCode; message: string } {
  switch (nodeCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'MOD_ERR_API_HEADERS_TOO_LARGE', message: 'request headers too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'MOD_ERR_API_TOO_LARGE', message: 'chunk extensions too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'MOD_ERR_API_REQUEST_TIMEOUT', message: 'the request headers took too long' };
    default:
      return { code: 'MOD_ERR_API_BAD_REQUEST', message: 'malformed HTTP request' };
  }
}

/**
 * fastify `clientErrorHandler`: malformed HTTP, oversized headers and header timeouts are answered with the
 * documented body `{error:{code,message}}` like every other error (fastify's default writes another shape).
 * The connection is then half-closed and read until the client closes it (or LINGER_MS passes): destroying
 * it with unread bytes (the rest of oversized headers) would reset it, and the answer with it.
 */
export function handleClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  const { code, message } = clientErrorAnswer(err.code);
  const status = ApiErrorCodes[code];
  this.log.debug({ code: err.code }, 'request refused by the HTTP parser');
  // Never write into a response already under way on this connection (it would corrupt it).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'connection: close\r\n' +
        'x-content-type-options: nosniff\r\n' +
        'cache-control: no-store\r\n' +
        `\r\n${body}`,
    );
  }
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.end();
  socket.resume();
}
