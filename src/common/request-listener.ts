import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A request as Express leaves it (`route` once matched), or as a handler ahead of Express labels it. */
export type RoutedRequest = IncomingMessage & { route?: { path: string }; routeLabel?: string };

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts `handler` ahead of the server's request listeners (Express's, and any put ahead before);
 * it calls `passOn(req, res)` to hand the request to them, or answers it itself.
 */
export function handleRequestsFirst(server: Server, handler: (req: RoutedRequest, res: ServerResponse, passOn: Listener) => void): void {
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const passOn: Listener = (req, res) => {
    for (const listener of listeners) listener(req, res);
  };
  server.on('request', (req: RoutedRequest, res: ServerResponse) => handler(req, res, passOn));
}
