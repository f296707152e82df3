import { problemsOf } from '../../../test/support/field-errors';
import { ValidationFailedError, type FieldError } from '../../common/domain-error';
import { createValidationPipe } from '../../common/validation';
import { NewKeyDto } from '../dto/new-key.dto';
import { canSign, effectiveStatus, type RotationPolicy } from '../entities/tenant-key.entity';
import { validRotationPolicy } from './rotation-policy';

const DAY = 24 * 60 * 60;
const TEN_YEARS = 10 * 365 * DAY;

describe('validRotationPolicy (the bounds that depend on JWKS_MAX_AGE)', () => {
  const policy = { rotateEverySeconds: 30 * DAY, prePublishSeconds: DAY, retireAfterSeconds: 7 * DAY };

  it('answers the policy as stored, and null for none', () => {
    expect(validRotationPolicy({ ...policy }, 300)).toEqual<RotationPolicy>(policy);
    expect(validRotationPolicy(null, 300)).toBeNull();
  });

  it('wants the successor published at least JWKS_MAX_AGE before it signs', () => {
    expect(problemsOf(() => validRotationPolicy({ ...policy, prePublishSeconds: 300 }, 300))).toEqual([]);
    expect(problemsOf(() => validRotationPolicy({ ...policy, prePublishSeconds: 299 }, 300))).toEqual([
      {
        field: 'rotationPolicy.prePublishSeconds',
        message: 'rotationPolicy.prePublishSeconds must be at least 300 (JWKS_MAX_AGE), so that cached key sets hold the successor before it signs',
      },
    ]);
  });

  it('wants it published within the period: prePublishSeconds less than rotateEverySeconds', () => {
    const message = 'rotationPolicy.prePublishSeconds must be less than rotateEverySeconds (3600)';
    expect(problemsOf(() => validRotationPolicy({ ...policy, rotateEverySeconds: 3600, prePublishSeconds: 3599 }, 0))).toEqual([]);
    expect(problemsOf(() => validRotationPolicy({ ...policy, rotateEverySeconds: 3600, prePublishSeconds: 3600 }, 0))).toEqual([
      { field: 'rotationPolicy.prePublishSeconds', message },
    ]);
  });
});

describe('rotationPolicy as a request sends it (RotationPolicyDto)', () => {
  const pipe = createValidationPipe();
  async function validated(rotationPolicy: unknown): Promise<unknown> {
    try {
      return ((await pipe.transform({ name: 'k', rotationPolicy }, { type: 'body', metatype: NewKeyDto })) as NewKeyDto).rotationPolicy;
    } catch (error) {
      if (!(error instanceof ValidationFailedError)) throw error;
      return error.errors;
    }
  }
  const valid = { rotateEverySeconds: 30 * DAY, prePublishSeconds: DAY, retireAfterSeconds: 7 * DAY };

  it('takes three whole periods of 1 second to ten years, and null for none', async () => {
    expect(await validated(valid)).toEqual(valid);
    expect(await validated({ rotateEverySeconds: TEN_YEARS, prePublishSeconds: 1, retireAfterSeconds: 1 })).toEqual({
      rotateEverySeconds: TEN_YEARS,
      prePublishSeconds: 1,
      retireAfterSeconds: 1,
    });
    expect(await validated(null)).toBeNull();
  });

  it.each<[string, unknown, FieldError[]]>([
    ['a policy that is not an object', 30, [{ field: 'rotationPolicy', message: 'rotationPolicy must be an object' }]],
    [
      'a missing period',
      { rotateEverySeconds: DAY, prePublishSeconds: 600 },
      [{ field: 'rotationPolicy.retireAfterSeconds', message: 'rotationPolicy.retireAfterSeconds must be a whole number of seconds' }],
    ],
    [
      'a period of 0',
      { ...valid, rotateEverySeconds: 0 },
      [{ field: 'rotationPolicy.rotateEverySeconds', message: 'rotationPolicy.rotateEverySeconds must be at least 1' }],
    ],
    [
      'a period beyond ten years',
      { ...valid, retireAfterSeconds: TEN_YEARS + 1 },
      [{ field: 'rotationPolicy.retireAfterSeconds', message: 'rotationPolicy.retireAfterSeconds must be at most ten years' }],
    ],
    [
      'a period as a string',
      { ...valid, prePublishSeconds: '600' },
      [{ field: 'rotationPolicy.prePublishSeconds', message: 'rotationPolicy.prePublishSeconds must be a whole number of seconds' }],
    ],
    [
      'a member it does not know',
      { ...valid, rotateAt: '03:00' },
      [{ field: 'rotationPolicy.rotateAt', message: 'property rotateAt should not exist' }],
    ],
  ])('refuses %s, naming the field', async (_case, policy, problems) => {
    expect(await validated(policy)).toEqual(problems);
  });
});

describe('key states as the lifecycle reads them', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const before = new Date(now.getTime() - 1);
  const after = new Date(now.getTime() + 1);

  it('a retiring key is retired from its retireAt on, with no job run', () => {
    expect(effectiveStatus({ status: 'retiring', retireAt: after }, now)).toBe('retiring');
    expect(effectiveStatus({ status: 'retiring', retireAt: now }, now)).toBe('retired');
    expect(effectiveStatus({ status: 'retiring', retireAt: before }, now)).toBe('retired');
  });

  it('every other status is as stored, whatever retireAt says', () => {
    for (const status of ['next', 'active', 'retired', 'pending_deletion'] as const) {
      expect(effectiveStatus({ status, retireAt: before }, now)).toBe(status);
    }
  });

  it('a key signs with its private part sealed in the row or held in the HSM', () => {
    expect(canSign({ privateKeySealed: Buffer.of(1), custody: 'software' })).toBe(true);
    expect(canSign({ privateKeySealed: null, custody: 'hsm' })).toBe(true);
    expect(canSign({ privateKeySealed: null, custody: 'software' })).toBe(false);
  });
});
