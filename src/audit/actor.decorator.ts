import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedRequest } from '../common/request-context';
import { requestIdOf } from '../common/request-id';
import type { AuditActor } from './audit-trail';

/** The audit actor of an authenticated request: the tenant's API key, or the user behind the access token. */
export const Actor = createParamDecorator((_: unknown, context: ExecutionContext): AuditActor => {
  const req = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
  const requestId = requestIdOf(req);
  if (req.tenant) return { tenantId: req.tenant.tenantId, type: 'api_key', id: req.tenant.apiKeyId, requestId };
  if (req.user) return { tenantId: null, type: 'user', id: `${req.user.issuer}#${req.user.userId}`, requestId };
  throw new Error('@Actor() on a route without authentication');
});
