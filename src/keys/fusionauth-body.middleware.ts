import type { NextFunction, Request, Response } from 'express';

/** FusionAuth sends `{ "key": { ... } }` for the same calls: unwrapped so that its clients work unchanged. */
export function unwrapFusionAuthKeyBody(req: Request, _res: Response, next: NextFunction): void {
  const body: unknown = req.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const inner = (body as { key?: unknown }).key;
    if (keys.length === 1 && keys[0] === 'key' && inner && typeof inner === 'object' && !Array.isArray(inner)) {
      req.body = inner;
    }
  }
  next();
}
