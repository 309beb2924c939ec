import { describe, expect, it } from 'vitest';
import { HostLimiter, Semaphore } from './host-limiter.js';

const live = () => new AbortController().signal;

describe('Semaphore', () => {
  it('hands a released slot to the first waiter, drops waiters whose signal aborts, refuses an aborted caller', async () => {
    const slots = new Semaphore(1);
    const first = await slots.acquire(live());
    expect(first).not.toBeNull();
    const leaving = new AbortController();
    const left = slots.acquire(leaving.signal);
    const next = slots.acquire(live());
    leaving.abort();
    expect(await left).toBeNull();
    first!();
    first!(); // a second release changes nothing
    const second = await next;
    expect(second).not.toBeNull();
    expect(slots.idle).toBe(false);
    second!();
    expect(slots.idle).toBe(true);
    expect(await slots.acquire(AbortSignal.abort())).toBeNull();
    expect(slots.idle).toBe(true);
  });
});

describe('HostLimiter', () => {
  it('limits each host on its own, and a host whose slots were all released takes callers again', async () => {
    const limiter = new HostLimiter(1);
    const a = await limiter.acquire('a.example', live());
    const b = await limiter.acquire('b.example', live());
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    let waited = false;
    const later = limiter.acquire('a.example', live()).then((release) => {
      waited = true;
      return release;
    });
    await Promise.resolve();
    expect(waited).toBe(false);
    a!();
    const again = await later;
    expect(again).not.toBeNull();
    again!();
    b!();
    const fresh = await limiter.acquire('a.example', live());
    expect(fresh).not.toBeNull();
    fresh!();
  });
});
