import type { Readable } from 'node:stream';

/**
 * Reads and drops the rest of a request body a route has refused, so that the client, still sending, gets the
 * answer: a connection closed with unread bytes is reset, and the answer is lost with it. Gives up (closing
 * the connection) after `maxBytes` more bytes or `maxMs`, so a client cannot hold the server by never stopping.
 * Resolves once the body has ended or the request is gone; never rejects.
 */
export function discardRest(stream: Readable, limits: { maxBytes: number; maxMs: number }): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let left = limits.maxBytes;
    const done = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    const giveUp = () => {
      stream.destroy();
      done();
    };
    const onData = (chunk: Buffer) => {
      left -= chunk.length;
      if (left < 0) giveUp();
    };
    const timer = setTimeout(giveUp, limits.maxMs);
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    stream.resume();
  });
}
