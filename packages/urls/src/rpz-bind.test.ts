import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFeed, type BlocklistEntry } from './index.js';

// Our RPZ loaded into a real BIND resolver (loopback only), asked about the names it must and must not block.

const hasNamed = spawnSync('named', ['-v'], { stdio: 'pipe' }).status === 0;
const ZONE = 'rpz.mod.test';

/** A free loopback UDP port (named also binds TCP on it). */
async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** The response code of an A query (`NOERROR`, `NXDOMAIN`, ...). */
async function rcodeOf(port: number, name: string): Promise<string> {
  const labels = name
    .split('.')
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const query = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels,
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const socket = createSocket('udp4');
  try {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DNS answer for ${name}`)), 3000);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(query, port, '127.0.0.1');
    });
    return ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][answer[3]! & 15] ?? `RCODE${answer[3]! & 15}`;
  } finally {
    socket.close();
  }
}

describe.skipIf(!hasNamed)('our RPZ in a real BIND resolver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mod-rpz-bind-'));
  let named: ChildProcess | undefined;
  let port = 0;

  // Ordered: one name. Hostile: names that a resolver would read as IP or name-server triggers, each of which
  // would block every name resolving to 10.0.0.1 (or served by localhost), far more than ordered; and the
  // top-level domain itself (a host entry, or a URL entry's host, marked dedicated), which would block every
  // name under it.
  const entries: BlocklistEntry[] = [
    { id: 'ordered', target: 'http://Victim.Example./page', dedicatedToAbuse: true },
    { id: 'tld', target: 'Example.', dedicatedToAbuse: true },
    { id: 'tld-url', target: 'http://example/index.html', dedicatedToAbuse: true },
    { id: 'ip', target: 'http://32.1.0.0.10.rpz-ip/', dedicatedToAbuse: true },
    { id: 'ns', target: 'localhost.rpz-nsdname', dedicatedToAbuse: true },
    { id: 'nsip', target: '32.1.0.0.127.rpz-nsip', dedicatedToAbuse: true },
    { id: 'client', target: '1.0.0.0.0.rpz-client-ip', dedicatedToAbuse: true },
    { id: 'client-hi', target: '1.0.0.0.128.rpz-client-ip', dedicatedToAbuse: true },
  ];

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(
      join(dir, 'example.zone'),
      [
        '$TTL 60',
        '@ SOA localhost. hostmaster.localhost. 1 3600 600 864000 60',
        '@ NS localhost.',
        'victim A 10.0.0.1',
        'innocent A 10.0.0.1',
        'sub.victim A 10.0.0.2',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'rpz.zone'), renderFeed('rpz', { serial: 5, entries }, { zoneName: ZONE }).body);
    writeFileSync(
      join(dir, 'named.conf'),
      `options { directory "${dir}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
        pid-file "${dir}/named.pid"; recursion yes; allow-query { 127.0.0.1; }; allow-recursion { 127.0.0.1; };
        dnssec-validation no; response-policy { zone "${ZONE}"; } recursive-only no qname-wait-recurse no; };
       controls { };
       zone "example" { type primary; file "${dir}/example.zone"; };
       zone "${ZONE}" { type primary; file "${dir}/rpz.zone"; };\n`,
    );
    named = spawn('named', ['-g', '-c', join(dir, 'named.conf')], { stdio: 'pipe' });
    let log = '';
    named.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 15_000;
    // named's last start-up line is "<time> running"; an earlier one, "running as: named -g ...", is not it.
    while (!/ running$/m.test(log)) {
      if (named.exitCode !== null || Date.now() > deadline) throw new Error(`named did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(log).toContain(`zone ${ZONE}/IN: loaded serial 5`);
  }, 20_000);

  afterAll(() => {
    named?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('blocks the ordered name and the names below it, and nothing else', async () => {
    expect(await rcodeOf(port, 'victim.example')).toBe('NXDOMAIN');
    expect(await rcodeOf(port, 'sub.victim.example')).toBe('NXDOMAIN');
    // Same address as the ordered name, same name server, any client: still answered.
    expect(await rcodeOf(port, 'innocent.example')).toBe('NOERROR');
  });
});
