import type { FastifyRequest } from 'fastify';
import type { JudgedError } from '../common/error-shape';
import { fusionAuthErrors } from './fusionauth-errors';

const requestWith = (body: unknown, headers: Record<string, string> = {}) => ({ body, headers }) as unknown as FastifyRequest;

describe("errors in FusionAuth's shape", () => {
  const keyRoute = fusionAuthErrors('key');

  it('names each field as FusionAuth does, and says whether it was missing, blank or invalid', () => {
    const shaped = keyRoute(
      {
        status: 400,
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
        errors: [
          { field: 'algorithm', message: 'algorithm must be one of …' },
          { field: 'name', message: 'name must be 1 to 255 characters' },
          { field: 'length', message: 'length must be an integer' },
          { field: 'certificateValidityDays', message: 'certificateValidityDays must be 1 to 3650' },
        ],
      },
      requestWith({ key: { name: '  ', length: 'x', expirationInstant: 1 } }),
    );
    expect(shaped).toEqual({
      status: 400,
      body: {
        fieldErrors: {
          'key.algorithm': [{ code: '[missing]key.algorithm', message: 'algorithm must be one of …' }],
          'key.name': [{ code: '[blank]key.name', message: 'name must be 1 to 255 characters' }],
          'key.length': [{ code: '[invalid]key.length', message: 'length must be an integer' }],
          'key.expirationInstant': [{ code: '[invalid]key.expirationInstant', message: 'certificateValidityDays must be 1 to 3650' }],
        },
        generalErrors: [],
      },
    });
  });

  it('reads a key id in the path where there is one', () => {
    const error: JudgedError = {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'Validation failed',
      errors: [{ field: 'keyId', message: 'keyId must be a UUID' }],
    };
    const inPath = { ...requestWith({ key: {} }), params: { id: 'nope' } } as unknown as FastifyRequest;
    expect(keyRoute(error, inPath).body).toMatchObject({ fieldErrors: { keyId: [{ code: '[invalid]keyId' }] } });
    expect(fusionAuthErrors()(error, requestWith({})).body).toMatchObject({ fieldErrors: { keyId: [{ code: '[missing]keyId' }] } });
  });

  it('answers credentials, scopes, missing keys, the rate limit and internal errors with a status alone', () => {
    for (const [code, status] of [
      ['UNAUTHORIZED', 401],
      ['SCOPE_REQUIRED', 401],
      ['KEY_NOT_FOUND', 404],
      ['TENANT_NOT_FOUND', 404],
      ['RATE_LIMITED', 429],
      ['INTERNAL_ERROR', 500],
    ] as const) {
      expect(keyRoute({ status: 0, code, message: 'x' }, requestWith(undefined))).toEqual({ status });
    }
  });

  it('a taken id or kid as [duplicate], malformed JSON as [invalid], a conflict as a 400, an outage as itself', () => {
    const request = requestWith(undefined);
    expect(keyRoute({ status: 409, code: 'KEY_ID_TAKEN', message: 'taken' }, request).body).toEqual({
      fieldErrors: { keyId: [{ code: '[duplicate]keyId', message: 'taken' }] },
      generalErrors: [],
    });
    expect(keyRoute({ status: 409, code: 'KID_TAKEN', message: 'kid' }, request).body).toMatchObject({
      fieldErrors: { 'key.kid': [{ code: '[duplicate]key.kid' }] },
    });
    expect(keyRoute({ status: 400, code: 'MALFORMED_JSON', message: 'Malformed JSON body' }, request)).toEqual({
      status: 400,
      body: { fieldErrors: {}, generalErrors: [{ code: '[invalid]', message: 'Malformed JSON body' }] },
    });
    expect(keyRoute({ status: 409, code: 'KEY_NOT_ACTIVE', message: 'retiring' }, request)).toMatchObject({ status: 400 });
    expect(keyRoute({ status: 503, code: 'DATABASE_UNAVAILABLE', message: 'later' }, request)).toMatchObject({ status: 503 });
  });

  it('on a route without a wrapper, fields and headers keep their names', () => {
    const shaped = fusionAuthErrors()(
      {
        status: 400,
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
        errors: [
          { field: 'payload', message: 'payload must be a JSON object' },
          { field: 'X-FusionAuth-TenantId', message: 'must be the tenant id' },
        ],
      },
      requestWith({ claims: 5 }),
    );
    expect(
      Object.entries((shaped.body as { fieldErrors: Record<string, { code: string }[]> }).fieldErrors).map(([name, [error]]) => [name, error.code]),
    ).toEqual([
      ['claims', '[invalid]claims'],
      ['X-FusionAuth-TenantId', '[missing]X-FusionAuth-TenantId'],
    ]);
  });
});
