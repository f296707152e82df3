import type { preSerializationHookHandler, RouteOptions } from 'fastify';
import { Page, type ResponseEnvelope } from './response-envelope';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @ResponseMessage: the route answers in the success envelope with this message. */
    responseMessage?: string;
  }
}

/**
 * Wraps what a route returns into the success envelope: one Fastify hook on each route with a @ResponseMessage,
 * its message read once, when the route registers (no Nest interceptor, so Nest skips its interceptor chain).
 * Errors (the exception filter's envelope) and routes that write with @Res (strings, buffers) are left alone.
 */
export function addEnvelope(route: RouteOptions): void {
  const message = route.config?.responseMessage;
  if (message === undefined) return;
  const envelope: preSerializationHookHandler<unknown> = (_request, reply, payload, done) =>
    done(null, reply.statusCode < 400 ? successEnvelope(message, payload) : payload);
  route.preSerialization = [route.preSerialization ?? []].flat().concat(envelope);
}

function successEnvelope(message: string, data: unknown): ResponseEnvelope {
  return data instanceof Page ? { success: true, message, data: data.items, meta: data.meta } : { success: true, message, data: data ?? null };
}
