import { isIPv4, isIPv6 } from 'node:net';

/** `'allow'`, or `'refuse:<why>'` with a short fixed reason (e.g. `refuse:loopback`). */
export type AddressVerdict = 'allow' | `refuse:${string}`;

/**
 * Decides whether the fetcher may connect to an IP address (as resolved, before connecting).
 * Injectable for tests only (to treat one loopback alias as public); production uses {@link defaultAddressPolicy}.
 */
export type AddressPolicy = (address: string) => AddressVerdict;

type V4Rule = readonly [network: number, prefixBits: number, reason: string];

function v4(dotted: string): number {
  const parts = dotted.split('.').map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

// Order matters: the first matching rule names the reason (metadata before link-local, broadcast before reserved).
const V4_RULES: readonly V4Rule[] = [
  [v4('169.254.169.254'), 32, 'metadata'],
  [v4('255.255.255.255'), 32, 'broadcast'],
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'cgnat'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'documentation'],
  [v4('192.88.99.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'benchmarking'],
  [v4('198.51.100.0'), 24, 'documentation'],
  [v4('203.0.113.0'), 24, 'documentation'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

function v4Reason(value: number): string | null {
  for (const [network, bits, reason] of V4_RULES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === network) return reason;
  }
  return null;
}

/** Parses a textual IPv6 address (optionally with a zone id or embedded dotted quad) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | null {
  let address = text;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (!isIPv6(address)) return null;
  const words: number[] = [];
  const expand = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const value = v4(group);
        out.push(value >>> 16, value & 0xffff);
      } else {
        out.push(parseInt(group, 16));
      }
    }
    return out;
  };
  const gap = address.indexOf('::');
  if (gap === -1) {
    words.push(...expand(address));
  } else {
    const head = expand(address.slice(0, gap));
    const tail = expand(address.slice(gap + 2));
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  }
  if (words.length !== 8) return null;
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >>> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function v4At(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  );
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function v6Reason(bytes: Uint8Array): string | null {
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  if (allZero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) {
    const inner = v4Reason(v4At(bytes, 12));
    return inner === null ? null : `ipv4-mapped-${inner}`;
  }
  if (allZero(bytes, 0, 12)) {
    if (allZero(bytes, 12, 15)) {
      if (bytes[15] === 0) return 'unspecified';
      if (bytes[15] === 1) return 'loopback';
    }
    const inner = v4Reason(v4At(bytes, 12));
    // IPv4-compatible addresses are deprecated (RFC 4291); refuse them even when the embedded one is public.
    return inner === null ? 'ipv4-compatible' : `ipv4-compatible-${inner}`;
  }
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): the gateway would reach the embedded IPv4.
  if (b0 === 0x00 && b1 === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    if (allZero(bytes, 4, 12)) {
      const inner = v4Reason(v4At(bytes, 12));
      return inner === null ? null : `nat64-${inner}`;
    }
    if (bytes[4] === 0x00 && bytes[5] === 0x01) return 'nat64-local'; // 64:ff9b:1::/48 (RFC 8215)
  }
  // 6to4 2002::/16 embeds an IPv4 in bits 16-47.
  if (b0 === 0x20 && b1 === 0x02) {
    const inner = v4Reason(v4At(bytes, 2));
    return inner === null ? null : `6to4-${inner}`;
  }
  if (b0 === 0x20 && b1 === 0x01) {
    if (bytes[2] === 0x0d && bytes[3] === 0xb8) return 'documentation'; // 2001:db8::/32
    // 2001::/23 IETF protocol assignments: Teredo (whose embedded address we cannot vet), benchmarking, ORCHID.
    if (bytes[2]! < 0x02) return 'reserved';
  }
  if (b0 === 0x3f && b1 === 0xff && (bytes[2]! & 0xf0) === 0) return 'documentation'; // 3fff::/20 (RFC 9637)
  if ((b0 & 0xfe) === 0xfc) return 'unique-local'; // fc00::/7
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return 'site-local'; // fec0::/10, deprecated
  if (b0 === 0xff) return 'multicast';
  // Everything outside global unicast 2000::/3 is unallocated or special (100::/64 discard, etc.).
  if ((b0 & 0xe0) !== 0x20) return 'reserved';
  return null;
}

/**
 * The production address policy: allows only public unicast addresses. Refuses loopback, unspecified,
 * RFC 1918 private, CGNAT 100.64/10, link-local (and the 169.254.169.254 metadata service), multicast,
 * broadcast, reserved, benchmarking 198.18/15, documentation ranges; IPv6 loopback, unspecified, link-local,
 * site-local, unique-local, multicast, non-global-unicast; and IPv4-mapped, IPv4-compatible, NAT64 and 6to4
 * forms that embed a refused IPv4. Text that is not an IP address is refused too.
 */
export const defaultAddressPolicy: AddressPolicy = (address) => {
  if (isIPv4(address)) {
    const reason = v4Reason(v4(address));
    return reason === null ? 'allow' : `refuse:${reason}`;
  }
  const bytes = parseIpv6(address);
  if (bytes === null) return 'refuse:not-an-ip';
  const reason = v6Reason(bytes);
  return reason === null ? 'allow' : `refuse:${reason}`;
};
