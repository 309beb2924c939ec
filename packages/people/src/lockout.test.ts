import { describe, expect, it } from 'vitest';
import { PeopleErrorCode } from './errors.js';
import { DEFAULT_LOCKOUT_POLICY, checkLockoutPolicy, clientAddressKey, lockoutDecision } from './lockout.js';

const policy = { maxPerLoginAndAddress: 3, maxPerAddress: 10, windowMs: 60_000 };
const none = { count: 0, oldestAtMs: null };

describe('lock-out rule', () => {
  it('locks a (login, address) pair after its limit, until the oldest failure leaves the window', () => {
    const now = 1_000_000;
    expect(
      lockoutDecision(
        { loginAndAddress: { count: 2, oldestAtMs: now - 10_000 }, address: none },
        policy,
        now,
      ),
    ).toEqual({
      locked: false,
    });
    expect(
      lockoutDecision(
        {
          loginAndAddress: { count: 3, oldestAtMs: now - 10_000 },
          address: { count: 3, oldestAtMs: now - 10_000 },
        },
        policy,
        now,
      ),
    ).toEqual({ locked: true, scope: 'login-and-address', retryAfterMs: 50_000 });
  });

  it('locks an address after its own limit, whatever the logins', () => {
    const now = 1_000_000;
    expect(
      lockoutDecision(
        { loginAndAddress: none, address: { count: 10, oldestAtMs: now - 59_500 } },
        policy,
        now,
      ),
    ).toEqual({ locked: true, scope: 'address', retryAfterMs: 1000 });
  });

  it('keeps sane defaults and refuses settings out of range', () => {
    expect(checkLockoutPolicy({ ...DEFAULT_LOCKOUT_POLICY })).toEqual(DEFAULT_LOCKOUT_POLICY);
    for (const bad of [
      { ...policy, maxPerLoginAndAddress: 0 },
      { ...policy, maxPerAddress: 1.5 },
      { ...policy, windowMs: 10 },
    ])
      expect(() => checkLockoutPolicy(bad)).toThrow(
        expect.objectContaining({ code: PeopleErrorCode.Settings }),
      );
  });

  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002::', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s under %s', (address, key) => {
    expect(clientAddressKey(address)).toBe(key);
  });

  it('counts every address of one IPv6 /64 together and different /64s apart', () => {
    expect(clientAddressKey('2001:db8:1:2::1')).toBe(clientAddressKey('2001:db8:1:2:ffff::9'));
    expect(clientAddressKey('2001:db8:1:2::1')).not.toBe(clientAddressKey('2001:db8:1:3::1'));
  });
});
