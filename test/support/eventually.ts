/**
 * Polls `check` until it returns something other than `undefined` or `false`, and returns that with the time it
 * took; after `withinMs` it fails, naming `what` it waited for. For states that background work, another
 * instance or the clock reach: the test waits for the state, never for a fixed time.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { withinMs = 10_000, everyMs = 20 }: { withinMs?: number; everyMs?: number } = {},
): Promise<{ value: T; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    const afterMs = Date.now() - started;
    if (value !== undefined && value !== false) return { value, afterMs };
    if (afterMs >= withinMs) throw new Error(`Not seen within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
