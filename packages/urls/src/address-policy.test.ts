import { describe, expect, it } from 'vitest';
import { defaultAddressPolicy, parseIpv6 } from './address-policy.js';

const refused: ReadonlyArray<readonly [address: string, verdict: string]> = [
  ['127.0.0.1', 'refuse:loopback'],
  ['127.255.255.254', 'refuse:loopback'],
  ['0.0.0.0', 'refuse:unspecified'],
  ['10.0.0.1', 'refuse:private'],
  ['172.16.0.1', 'refuse:private'],
  ['172.31.255.255', 'refuse:private'],
  ['192.168.1.1', 'refuse:private'],
  ['100.64.0.1', 'refuse:cgnat'],
  ['100.127.255.255', 'refuse:cgnat'],
  ['169.254.169.254', 'refuse:metadata'],
  ['169.254.1.1', 'refuse:link-local'],
  ['224.0.0.1', 'refuse:multicast'],
  ['239.255.255.250', 'refuse:multicast'],
  ['255.255.255.255', 'refuse:broadcast'],
  ['240.0.0.1', 'refuse:reserved'],
  ['192.0.0.8', 'refuse:reserved'],
  ['198.18.0.1', 'refuse:benchmarking'],
  ['198.19.255.255', 'refuse:benchmarking'],
  ['192.0.2.1', 'refuse:documentation'],
  ['198.51.100.1', 'refuse:documentation'],
  ['203.0.113.1', 'refuse:documentation'],
  ['::1', 'refuse:loopback'],
  ['::', 'refuse:unspecified'],
  ['0:0:0:0:0:0:0:1', 'refuse:loopback'],
  ['fe80::1', 'refuse:link-local'],
  ['fe80::1%eth0', 'refuse:link-local'],
  ['fc00::1', 'refuse:unique-local'],
  ['fd12:3456::1', 'refuse:unique-local'],
  ['fec0::1', 'refuse:site-local'],
  ['ff02::1', 'refuse:multicast'],
  ['::ffff:127.0.0.1', 'refuse:ipv4-mapped-loopback'],
  ['::ffff:7f00:1', 'refuse:ipv4-mapped-loopback'],
  ['::ffff:10.0.0.1', 'refuse:ipv4-mapped-private'],
  ['::ffff:169.254.169.254', 'refuse:ipv4-mapped-metadata'],
  ['::127.0.0.1', 'refuse:ipv4-compatible-loopback'],
  ['::8.8.8.8', 'refuse:ipv4-compatible'],
  ['64:ff9b::127.0.0.1', 'refuse:nat64-loopback'],
  ['64:ff9b::a9fe:a9fe', 'refuse:nat64-metadata'],
  ['64:ff9b:1::1', 'refuse:nat64-local'],
  ['2002:7f00:1::', 'refuse:6to4-loopback'],
  ['2002:c0a8:101::1', 'refuse:6to4-private'],
  ['2001:db8::1', 'refuse:documentation'],
  ['3fff::1', 'refuse:documentation'],
  ['2001::1', 'refuse:reserved'],
  ['2001:2::1', 'refuse:reserved'],
  ['100::1', 'refuse:reserved'],
  ['localhost', 'refuse:not-an-ip'],
  ['010.0.0.1', 'refuse:not-an-ip'],
  ['', 'refuse:not-an-ip'],
];

// Public addresses are only classified here, never dialled.
const allowed = [
  '8.8.8.8',
  '1.1.1.1',
  '172.32.0.1',
  '100.128.0.1',
  '2606:4700:4700::1111',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('defaultAddressPolicy', () => {
  it.each(refused)('%s -> %s', (address, verdict) => {
    expect(defaultAddressPolicy(address)).toBe(verdict);
  });

  it.each(allowed)('allows public %s', (address) => {
    expect(defaultAddressPolicy(address)).toBe('allow');
  });
});

describe('parseIpv6', () => {
  it('expands compressed forms and embedded dotted quads', () => {
    expect(Array.from(parseIpv6('[::ffff:1.2.3.4]') ?? [])).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4,
    ]);
    expect(parseIpv6('1:2:3:4:5:6:7:8')?.[15]).toBe(8);
    expect(parseIpv6('not-ip')).toBeNull();
  });
});
