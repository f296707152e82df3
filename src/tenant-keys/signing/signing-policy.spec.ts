import type { JWTPayload } from 'jose';
import { ValidationFailedError, type FieldError } from '../../common/domain-error';
import { createValidationPipe } from '../../common/validation';
import { NewKeyDto } from '../dto/new-key.dto';
import { applySigningPolicy, type SigningPolicy } from './signing-policy';

/** The problems the policy finds in the payload (none: []), and the payload as it would be signed. */
function checked(policy: SigningPolicy, payload: JWTPayload, lifetime: number | null = 300): { problems: FieldError[]; payload: JWTPayload } {
  const signed = { ...payload };
  try {
    applySigningPolicy(policy, signed, lifetime);
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    return { problems: error.errors, payload: signed };
  }
  return { problems: [], payload: signed };
}
const problemsOf = (policy: SigningPolicy, payload: JWTPayload, lifetime?: number | null) => checked(policy, payload, lifetime).problems;

describe('applySigningPolicy', () => {
  it('lets any payload through an empty policy, unchanged', () => {
    expect(checked({}, { sub: 'alice', admin: true }, null)).toEqual({ problems: [], payload: { sub: 'alice', admin: true } });
  });

  describe('fixedIssuer', () => {
    const policy = { fixedIssuer: 'https://auth.example.com' };

    it('sets iss when the payload has none, and accepts the same one', () => {
      expect(checked(policy, { sub: 'alice' })).toEqual({ problems: [], payload: { sub: 'alice', iss: 'https://auth.example.com' } });
      expect(problemsOf(policy, { iss: 'https://auth.example.com' })).toEqual([]);
    });

    it('refuses another issuer, naming the one allowed', () => {
      expect(problemsOf(policy, { iss: 'https://evil.example' })).toEqual([
        { field: 'payload.iss', message: "payload.iss must be https://auth.example.com (the key's fixedIssuer)" },
      ]);
    });
  });

  describe('allowedAudiences', () => {
    const policy = { allowedAudiences: ['api', 'admin'] };

    it('accepts one allowed audience, or several all allowed', () => {
      expect(problemsOf(policy, { aud: 'api' })).toEqual([]);
      expect(problemsOf(policy, { aud: ['api', 'admin'] })).toEqual([]);
    });

    it('requires an audience, an empty list being none', () => {
      const required = [{ field: 'payload.aud', message: 'payload.aud is required: one of api, admin' }];
      expect(problemsOf(policy, { sub: 'alice' })).toEqual(required);
      expect(problemsOf(policy, { aud: [] })).toEqual(required);
    });

    it('names each audience that is not allowed', () => {
      expect(problemsOf(policy, { aud: ['api', 'billing', 'API'] })).toEqual([
        { field: 'payload.aud', message: 'payload.aud billing is not allowed (allowed: api, admin)' },
        { field: 'payload.aud', message: 'payload.aud API is not allowed (allowed: api, admin)' },
      ]);
    });
  });

  describe('requiredClaims and forbiddenClaims', () => {
    it('requires each claim as an own member with a value (null is one); an inherited member is not the claim', () => {
      const policy = { requiredClaims: ['sub', 'https://example.com/roles', 'toString'] };
      expect(problemsOf(policy, { sub: 'alice', 'https://example.com/roles': null, toString: 'x' })).toEqual([]);
      expect(problemsOf(policy, { sub: undefined })).toEqual([
        { field: 'payload.sub', message: "payload.sub is required by the key's signing policy" },
        { field: 'payload.https://example.com/roles', message: "payload.https://example.com/roles is required by the key's signing policy" },
        { field: 'payload.toString', message: "payload.toString is required by the key's signing policy" },
      ]);
    });

    it('forbids each claim present with any value, null and false too; absent or undefined passes', () => {
      const policy = { forbiddenClaims: ['admin', 'constructor'] };
      expect(problemsOf(policy, { sub: 'alice', admin: undefined })).toEqual([]);
      expect(problemsOf(policy, { admin: false })).toEqual([
        { field: 'payload.admin', message: "payload.admin is forbidden by the key's signing policy" },
      ]);
      expect(problemsOf(policy, JSON.parse('{"constructor": null}') as JWTPayload)).toEqual([
        { field: 'payload.constructor', message: "payload.constructor is forbidden by the key's signing policy" },
      ]);
    });
  });

  describe('maxExpiresInSeconds', () => {
    const policy = { maxExpiresInSeconds: 600 };
    const tooLong = [{ field: 'expiresIn', message: "expiresIn must be at most 600 seconds (the key's maxExpiresInSeconds)" }];

    it('accepts a lifetime up to the bound, and refuses a longer one or a token without exp', () => {
      expect(problemsOf(policy, {}, 600)).toEqual([]);
      expect(problemsOf(policy, {}, 601)).toEqual(tooLong);
      expect(problemsOf(policy, {}, null)).toEqual(tooLong);
    });
  });

  it("names every broken rule at once, and never overwrites the caller's iss", () => {
    const policy: SigningPolicy = {
      fixedIssuer: 'https://auth.example.com',
      allowedAudiences: ['api'],
      requiredClaims: ['sub'],
      forbiddenClaims: ['admin'],
      maxExpiresInSeconds: 60,
    };
    const { problems, payload } = checked(policy, { iss: 'https://evil.example', aud: 'other', admin: true }, 3600);
    expect(problems.map((problem) => problem.field)).toEqual(['payload.iss', 'payload.aud', 'payload.sub', 'payload.admin', 'expiresIn']);
    expect(payload.iss).toBe('https://evil.example');
  });
});

describe('signingPolicy as a request sends it (SigningPolicyDto)', () => {
  const pipe = createValidationPipe();
  /** The policy the validation pipe lets through, or the fields and messages it refuses. */
  async function validated(signingPolicy: unknown): Promise<unknown> {
    try {
      return ((await pipe.transform({ name: 'k', signingPolicy }, { type: 'body', metatype: NewKeyDto })) as NewKeyDto).signingPolicy;
    } catch (error) {
      if (!(error instanceof ValidationFailedError)) throw error;
      return error.errors;
    }
  }

  it('takes every rule, and leaves out a rule sent as null (no rule)', async () => {
    const policy = {
      allowedAudiences: ['api'],
      requiredClaims: ['sub', 'https://example.com/roles'],
      forbiddenClaims: ['admin'],
      maxExpiresInSeconds: 3600,
      fixedIssuer: 'https://auth.example.com',
    };
    expect(await validated(policy)).toEqual(policy);
    expect(await validated({ allowedAudiences: null, maxExpiresInSeconds: 60 })).toEqual({ maxExpiresInSeconds: 60 });
  });

  it.each<[string, unknown, FieldError]>([
    ['a policy that is not an object', 'strict', { field: 'signingPolicy', message: 'signingPolicy must be an object' }],
    [
      'audiences that are not strings',
      { allowedAudiences: [1] },
      { field: 'signingPolicy.allowedAudiences', message: 'signingPolicy.allowedAudiences must be an array of strings' },
    ],
    [
      'more than 50 audiences',
      { allowedAudiences: Array.from({ length: 51 }, (_, i) => `aud-${i}`) },
      { field: 'signingPolicy.allowedAudiences', message: 'signingPolicy.allowedAudiences must hold at most 50 audiences' },
    ],
    [
      'a claim name with a space',
      { requiredClaims: ['two words'] },
      {
        field: 'signingPolicy.requiredClaims',
        message: 'signingPolicy.requiredClaims must be claim names: 1 to 256 characters without spaces (a namespaced URL is one)',
      },
    ],
    [
      'an empty forbidden claim name',
      { forbiddenClaims: [''] },
      {
        field: 'signingPolicy.forbiddenClaims',
        message: 'signingPolicy.forbiddenClaims must be claim names: 1 to 256 characters without spaces (a namespaced URL is one)',
      },
    ],
    [
      'a lifetime of 0',
      { maxExpiresInSeconds: 0 },
      { field: 'signingPolicy.maxExpiresInSeconds', message: 'signingPolicy.maxExpiresInSeconds must be at least 1' },
    ],
    [
      'a lifetime in fractions of a second',
      { maxExpiresInSeconds: 1.5 },
      { field: 'signingPolicy.maxExpiresInSeconds', message: 'signingPolicy.maxExpiresInSeconds must be a whole number of seconds' },
    ],
    [
      'an empty issuer',
      { fixedIssuer: '' },
      { field: 'signingPolicy.fixedIssuer', message: 'signingPolicy.fixedIssuer must be 1 to 1024 characters' },
    ],
    [
      'a rule it does not know',
      { allowedIssuers: ['x'] },
      { field: 'signingPolicy.allowedIssuers', message: 'property allowedIssuers should not exist' },
    ],
  ])('refuses %s, naming the field', async (_case, policy, problem) => {
    expect(await validated(policy)).toEqual([problem]);
  });
});
