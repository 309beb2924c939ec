import { describe, expect, it } from 'vitest';
import { createHeldBytes } from './held-bytes.js';

describe('held bytes of the steps', () => {
  it('lets a record start only when it fits, one always when none holds any, and a value read again first', async () => {
    let changes = 0;
    const held = createHeldBytes(100, () => changes++);
    expect(held.fits(500)).toBe(true); // none held: a record larger than the bound still starts, alone
    const a = held.hold(60);
    expect([held.fits(40), held.fits(41)]).toEqual([true, false]);
    const b = held.hold(40);
    // b awaits: its share goes, and comes back only when it fits again.
    b.release();
    expect(held.held).toBe(60);
    const c = held.hold(30);
    let readAgain = false;
    const back = b.acquire().then(() => (readAgain = true));
    await Promise.resolve();
    expect(readAgain).toBe(false);
    // While a value waits to be read again, nothing new starts, even what would fit.
    expect(held.fits(1)).toBe(false);
    c.release();
    await back;
    expect([readAgain, held.held, b.held]).toEqual([true, 100, true]);
    a.release();
    b.release();
    b.release(); // given back once only
    expect([held.held, changes]).toEqual([0, 4]);
  });
});
