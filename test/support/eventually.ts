/**
 * Polls `check` until it returns something other than `undefined` or `false`, and returns that with the time it
 * took; after `withinMs` it fails, naming `what` it waited for. For states that background work, another
 * instance or the clock reach: the test waits for the state, never for a fixed time. The failure points at the
 * test's line that waited, not at this loop.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { withinMs = 10_000, everyMs = 20 }: { withinMs?: number; everyMs?: number } = {},
): Promise<{ value: T; afterMs: number }> {
  const failure = callerError(eventually);
  const started = Date.now();
  for (;;) {
    const value = await check();
    const afterMs = Date.now() - started;
    if (value !== undefined && value !== false) return { value, afterMs };
    if (afterMs >= withinMs) throw failure(`Not seen within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Captures the stack of whoever called `helper` now, for an error raised later (after awaits, from a timer), so that
 * the report shows the test's line rather than the helper's or the timer's.
 */
export function callerError(helper: (...args: never[]) => unknown): (message: string) => Error {
  const trace: { stack?: string } = {};
  Error.captureStackTrace(trace, helper);
  return (message) => {
    const error = new Error(message);
    error.stack = `Error: ${message}\n${trace.stack!.split('\n').slice(1).join('\n')}`;
    return error;
  };
}
