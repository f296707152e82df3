import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * helmet's headers with its defaults, recorded once at start: none of them depends on the request, so every
 * answer gets the same list, in helmet's order and spelling (helmet's middleware would rebuild them per request).
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [name: string, value: string]> = recordHelmetHeaders();

function recordHelmetHeaders(): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string) => void headers.push([name, value]),
    // X-Powered-By: Fastify never sets it.
    removeHeader: () => undefined,
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw new Error('helmet refused its own defaults', { cause: error });
  });
  return headers;
}
