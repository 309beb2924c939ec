import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback between a client and PostgreSQL that can fall silent: while paused it forwards nothing in
 * either direction and closes nothing, as a network partition or a failed-over primary whose address vanished does
 * (the client's bytes are taken and acknowledged by the proxy's socket; no answer and no reset ever come back).
 */
export interface SilentProxy {
  port: number;
  /** Connections opened through the proxy so far. */
  opened(): number;
  /** Stops forwarding: every byte either way is held back (dropped), no socket is closed. */
  pause(): void;
  /** Forwards again (connections opened while paused work; bytes held back while paused stay lost). */
  resume(): void;
  close(): Promise<void>;
}

export async function startSilentProxy(target: { host: string; port: number }): Promise<SilentProxy> {
  let paused = false;
  let opened = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    opened++;
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (b: Buffer) => {
      if (!paused) upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      if (!paused) client.write(b);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    opened: () => opened,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
