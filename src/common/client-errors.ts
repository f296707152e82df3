import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS } from './error-codes';
import { errorEnvelope } from './response-envelope';

/**
 * The longest path parameter the router takes (a longer one is answered 414 before any hook runs): well above any
 * id, so that a long bad id is still routed, and refused by validation with every hook. Node's 16 KB header limit
 * bounds the rest.
 */
export const MAX_PATH_PARAMETER_LENGTH = 2048;

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses before any handler runs (headers over
 * 16 KB, a malformed request line) are answered in the envelope too, instead of a bare 400/431.
 */
export function answerClientErrorInEnvelope(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const answer =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ({ code: 'HEADERS_TOO_LARGE', message: 'Request headers too large' } as const)
      : ({ code: 'MALFORMED_REQUEST', message: 'Malformed request' } as const);
  const status = ERROR_STATUS[answer.code];
  const body = JSON.stringify(errorEnvelope(answer.code, answer.message, requestId));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Fastify's `frameworkErrors`: a URL its router cannot decode (a malformed percent escape) is refused before
 * routing, so before every hook: answered in the envelope here, with its request id.
 */
export function answerFrameworkErrorInEnvelope(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer =
    error.statusCode === ERROR_STATUS.URI_TOO_LONG
      ? ({ code: 'URI_TOO_LONG', message: 'URL too long' } as const)
      : ({ code: 'MALFORMED_REQUEST', message: 'Malformed URL' } as const);
  void reply
    .code(ERROR_STATUS[answer.code])
    .header('x-request-id', request.id)
    .send(errorEnvelope(answer.code, answer.message, request.id));
}
