/**
 * A preload for a service under `bench:e2e` that counts what it sends: PostgreSQL statements by the tag of their
 * leading comment (`actioner:record-verdict`; simple queries, BEGIN and COMMIT, as `(simple)`), Kafka requests by
 * API. Written at exit as JSON to `$MOD_SOCKET_COUNTS_DIR/<service>-<pid>.json`:
 *
 *   pnpm -s bench:e2e --events 600 --env NODE_OPTIONS=--import=$PWD/bench/dist/socket-counts.js \
 *     --env MOD_SOCKET_COUNTS_DIR=/tmp/counts
 *
 * It reads the plaintext each client hands its socket (TLS encrypts below), so it sees every request as sent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const KAFKA_APIS: Record<number, string> = {
  0: 'Produce',
  1: 'Fetch',
  2: 'ListOffsets',
  3: 'Metadata',
  8: 'OffsetCommit',
  9: 'OffsetFetch',
  10: 'FindCoordinator',
  11: 'JoinGroup',
  12: 'Heartbeat',
  14: 'SyncGroup',
  36: 'SaslAuthenticate',
};
const counts: Record<string, number> = {};
const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);

/** What one write carries: a statement's tag (PostgreSQL Parse or Query), a Kafka request's API, or nothing. */
function classify(port: number | undefined, data: unknown): string | null {
  if (!Buffer.isBuffer(data) || data.length < 8) return null;
  if (port === 5432 && (data[0] === 0x50 || data[0] === 0x51)) {
    const tag = /\/\*\s*([^*]+?)\s*\*\//.exec(data.subarray(5, 400).toString('latin1'));
    return `pg ${tag?.[1] ?? '(simple)'}`;
  }
  if (data.readInt32BE(0) === data.length - 4 && port !== 5432) {
    const api = data.readInt16BE(4);
    return `kafka ${KAFKA_APIS[api] ?? api}`;
  }
  return null;
}

const proto = net.Socket.prototype as unknown as { write: (this: net.Socket, ...a: unknown[]) => boolean };
const write = proto.write;
proto.write = function (this: net.Socket, ...args: unknown[]) {
  const what = classify(this.remotePort, args[0]);
  if (what !== null) count(what);
  return write.apply(this, args);
};

process.on('exit', () => {
  const dir = process.env['MOD_SOCKET_COUNTS_DIR'];
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  const service = process.argv[1]?.split('/').at(-3) ?? 'node';
  writeFileSync(`${dir}/${service}-${process.pid}.json`, JSON.stringify(counts));
});
