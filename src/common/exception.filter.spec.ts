import { Logger, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { EnvelopeExceptionFilter } from './exception.filter';
import { DatabaseUnavailableError, NotReadyError } from '../health/health-errors';
import { HsmUnavailableError } from '../hsm/hsm-errors';
import { KeyIdTakenError } from '../tenant-keys/key-errors';
import { CannotRevokeSelfError } from '../tenants/tenant-errors';
import { WebhookLimitError } from '../webhooks/webhook-errors';
import { ScopeRequiredError } from './domain-error';

/** The little of Fastify's request and reply that the filter uses. */
function hostFor(requestId: string) {
  const res = {
    sent: false,
    statusCode: 0,
    body: undefined as unknown,
    code(code: number) {
      this.statusCode = code;
      return this;
    },
    send(body: unknown) {
      this.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getRequest: () => ({ id: requestId }), getResponse: () => res }) } as unknown as ArgumentsHost;
  return { host, res };
}

describe('EnvelopeExceptionFilter', () => {
  const filter = new EnvelopeExceptionFilter();
  // What the filter logs is asserted here, not printed: a green run shows no stack traces.
  let errorLog: jest.SpyInstance;
  let warnLog: jest.SpyInstance;
  beforeEach(() => {
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnLog = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers an unknown error with a bare 500: no message, no stack, no SQL', () => {
    const { host, res } = hostFor('req-1');
    const error = new Error('relation "tenant_keys" does not exist at SELECT * FROM tenant_keys');
    filter.catch(error, host);
    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({ success: false, message: 'Internal server error', code: 'INTERNAL_ERROR', data: null, requestId: 'req-1' });
    expect(errorLog).toHaveBeenCalledWith('Unhandled error [requestId=req-1]', expect.stringContaining('relation "tenant_keys" does not exist'));
  });

  it('maps a domain error to its status and message', () => {
    const { host, res } = hostFor('req-2');
    filter.catch(new KeyIdTakenError(), host);
    expect(res.statusCode).toBe(409);
    expect(res.body).toMatchObject({ success: false, message: 'A key with this id already exists', code: 'KEY_ID_TAKEN', requestId: 'req-2' });
  });

  it.each([
    [new NotReadyError(['database', 'migrations']), 503, 'NOT_READY', 'Not ready: database, migrations'],
    [new DatabaseUnavailableError(), 503, 'DATABASE_UNAVAILABLE', 'Database unavailable'],
    [new HsmUnavailableError(), 503, 'HSM_UNAVAILABLE', 'The HSM is unavailable; try again shortly'],
    [new CannotRevokeSelfError(), 409, 'CANNOT_REVOKE_SELF', 'An API key cannot revoke itself: use another key with api-keys:manage'],
    [new WebhookLimitError(25), 409, 'WEBHOOK_LIMIT_REACHED', 'A tenant has at most 25 webhooks: delete one first'],
    [new ScopeRequiredError('This API key lacks the scope keys:sign'), 403, 'SCOPE_REQUIRED', 'This API key lacks the scope keys:sign'],
  ])('answers %p with the status of its code', (error, status, code, message) => {
    const { host, res } = hostFor('req-6');
    filter.catch(error, host);
    expect({ status: res.statusCode, body: res.body }).toEqual({ status, body: { success: false, message, code, data: null, requestId: 'req-6' } });
  });

  it("replaces Nest's route message with a plain one", () => {
    const { host, res } = hostFor('req-3');
    filter.catch(new NotFoundException('Cannot GET /secret/path'), host);
    expect(res.body).toMatchObject({ message: 'Not found' });
  });

  it('answers 503 when the database is unreachable', () => {
    const { host, res } = hostFor('req-4');
    filter.catch(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), host);
    expect(res.statusCode).toBe(503);
    expect(JSON.stringify(res.body)).not.toContain('5432');
    expect(warnLog).toHaveBeenCalledWith('Database unavailable [requestId=req-4]: connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('answers 503 when the connection was lost inside a transaction (the query runner is gone before COMMIT)', () => {
    const { host, res } = hostFor('req-5');
    filter.catch(
      Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), { name: 'QueryRunnerAlreadyReleasedError' }),
      host,
    );
    expect(res.statusCode).toBe(503);
  });
});
