/**
 * Runs clean-up steps in order; a step still running after `warnAfterMs` is named on stderr (it still gets its
 * time), so a hung shutdown in CI says which part hung.
 */
export async function stopInOrder(
  steps: readonly (readonly [string, () => Promise<unknown> | undefined])[],
  warnAfterMs = 20_000,
): Promise<void> {
  for (const [name, step] of steps) {
    const started = Date.now();
    const warn = setInterval(
      () => console.error(`[clean-up] ${name} still running after ${Date.now() - started} ms`),
      warnAfterMs,
    );
    try {
      await step();
    } finally {
      clearInterval(warn);
    }
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
