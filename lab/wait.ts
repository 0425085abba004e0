// Waiting on conditions, never on the clock alone: poll until true, fail with what was awaited.
export async function waitFor<T>(
  description: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until a counter has risen by `by` from its value now. */
export async function waitForRise(
  what: string,
  read: () => number | Promise<number>,
  by = 1000,
  timeoutMs = 10000,
): Promise<void> {
  const start = await read();
  await waitFor(`${what} to rise by ${by}`, async () => (await read()) >= start + by, timeoutMs);
}
