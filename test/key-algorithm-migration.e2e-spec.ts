import { X509Certificate } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../src/crypto/algorithms';
import type { TenantKeyView } from '../src/tenant-keys/dto/tenant-key.view';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { createSoftHsmToken, type SoftHsmToken } from './support/softhsm';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** Short periods, so that scheduled rotations happen within a test: the scheduler looks every second. */
const FAST = { LIFECYCLE_TICK_SECONDS: '1', JWKS_MAX_AGE: '1' };

describe('migrating an alias to another algorithm', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp(FAST);
    tenant = await testApp.createTenant('migration');
  });
  afterAll(() => testApp.close());

  const keys = () => keyClient(testApp, tenant);
  /** What a relying party that fetched `jwks` makes of the token: its algorithm and kid, or a failure. */
  const verifiedWith = async (jwks: JSONWebKeySet, token: string) => {
    const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks));
    return [protectedHeader.alg, protectedHeader.kid];
  };
  const publishedKids = (jwks: JSONWebKeySet) => jwks.keys.map((jwk) => [jwk.kid, jwk.kty, jwk.alg]);

  describe('POST /key/:id/rotate with an algorithm', () => {
    it('moves an RS256 alias to ES256: the successor signs, the old key retires, and each JWKS fetched verifies what was signed by then', async () => {
      const key = await keys().generate({ algorithm: 'RS256', name: 'migrating', alias: 'migrating', certificate: true });
      const jwksBefore = await keys().jwks();
      const before = await keys().signByAlias('migrating');
      expect(await verifiedWith(jwksBefore, before)).toEqual(['RS256', key.kid]);

      const successor = await keys().rotate(key.id, { algorithm: 'ES256', gracePeriodSeconds: 600 });
      expect(successor).toMatchObject({
        algorithm: 'ES256',
        type: 'EC',
        curve: 'P-256',
        length: 256,
        status: 'active',
        alias: 'migrating',
        name: 'migrating',
        rotatedFrom: key.id,
      });
      // The certificate goes with the key, made anew for the new algorithm.
      const certificate = new X509Certificate(successor.certificate!);
      expect(certificate.publicKey.asymmetricKeyType).toBe('ec');
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(await keys().get(key.id)).toMatchObject({ algorithm: 'RS256', status: 'retiring', alias: null, rotatedTo: successor.id });

      const jwksAfter = await keys().jwks();
      expect(publishedKids(jwksAfter)).toEqual(
        expect.arrayContaining([
          [key.kid, 'RSA', 'RS256'],
          [successor.kid, 'EC', 'ES256'],
        ]),
      );
      const after = await keys().signByAlias('migrating');
      expect(await verifiedWith(jwksAfter, after)).toEqual(['ES256', successor.kid]);
      expect(await verifiedWith(jwksAfter, before)).toEqual(['RS256', key.kid]);
      for (const token of [before, after]) expectEnvelope(await keys().send.verify(token), 200);

      const [audit] = await testApp.dataSource.query<{ detail: Record<string, unknown> }[]>(
        "SELECT detail FROM audit_events WHERE key_id = $1 AND action = 'key.rotate' AND outcome = 'success'",
        [key.id],
      );
      expect(audit.detail).toEqual({ successorId: successor.id, algorithm: 'ES256' });
    });

    it('keeps the algorithm and length, and the signing policy, when the body names none', async () => {
      const signingPolicy = { forbiddenClaims: ['admin'] };
      const key = await keys().generate({ algorithm: 'ES384', name: 'same', signingPolicy });
      expect(await keys().rotate(key.id, {})).toMatchObject({ algorithm: 'ES384', curve: 'P-384', length: 384, signingPolicy });
      const other = await keys().generate({ algorithm: 'ES256', name: 'other', signingPolicy });
      expect(await keys().rotate(other.id, { algorithm: 'EdDSA' })).toMatchObject({ algorithm: 'EdDSA', type: 'OKP', signingPolicy });
    });

    let refusals = 0;
    it.each([
      ['HS256', { algorithm: 'ES256' }, { field: 'algorithm', message: otherKind('HS256') }],
      ['ES256', { algorithm: 'HS256' }, { field: 'algorithm', message: otherKind('ES256') }],
      ['RS256', { algorithm: 'ES256', length: 2048 }, { field: 'length', message: 'length must be 256 for ES256' }],
      ['ES256', { length: 2048 }, { field: 'length', message: 'length must be 256 for ES256' }],
      ['ES256', { algorithm: 'ES257' }, { field: 'algorithm', message: expect.stringMatching(/^algorithm must be one of RS256, /) }],
    ])('answers 400 for a %s key rotated with %j, naming the field; the key signs on, nothing made', async (algorithm, body, error) => {
      const key = await keys().generate({ algorithm, name: 'refused', alias: `refused-${++refusals}` });
      const held = (await keys().list()).length;
      const res = await keys().send.rotate(key.id, body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([error]);
      expect(await keys().get(key.id)).toMatchObject({ status: 'active', algorithm, rotatedTo: null });
      expect((await keys().list()).length).toBe(held);
    });
  });

  describe('a rotation policy with an algorithm', () => {
    it.each([
      ['ES256', { algorithm: 'HS256' }, 'rotationPolicy.algorithm', otherKind('ES256', 'rotationPolicy.')],
      ['HS256', { algorithm: 'EdDSA' }, 'rotationPolicy.algorithm', otherKind('HS256', 'rotationPolicy.')],
      ['RS256', { algorithm: 'ES256', length: 2048 }, 'rotationPolicy.length', 'rotationPolicy.length must be 256 for ES256'],
      ['RS256', { algorithm: 'XS1' }, 'rotationPolicy.algorithm', expect.stringMatching(/^rotationPolicy\.algorithm must be one of RS256, /)],
    ])('is refused with 400 on a %s key for %j, on generate and on PUT', async (algorithm, choice, field, message) => {
      const rotationPolicy = { rotateEverySeconds: 3600, prePublishSeconds: 60, retireAfterSeconds: 60, ...choice };
      const generated = await keys().send.generate({ algorithm, name: 'policy', rotationPolicy });
      expectEnvelope(generated, 400);
      expect(generated.body.errors).toEqual([{ field, message }]);
      const key = await keys().generate({ algorithm, name: 'policy' });
      const updated = await keys().send.update(key.id, { rotationPolicy });
      expectEnvelope(updated, 400);
      expect(updated.body.errors).toEqual([{ field, message }]);
      expect((await keys().get(key.id)).rotationPolicy).toBeNull();
    });

    it('publishes the new-algorithm successor ahead on schedule and activates it: a verifier that cached the JWKS before never meets an unknown kid', async () => {
      const policy = { rotateEverySeconds: 6, prePublishSeconds: 3, retireAfterSeconds: 60, algorithm: 'ES256' };
      const signingPolicy = { forbiddenClaims: ['admin'] };
      const key = await keys().generate({
        algorithm: 'RS256',
        name: 'scheduled',
        alias: 'scheduled-migration',
        rotationPolicy: policy,
        signingPolicy,
      });
      expect(key.rotationPolicy).toEqual(policy);
      const sign = () => keys().signByAlias('scheduled-migration', { payload: { sub: 'u' }, expiresIn: 60 });
      const first = await sign();

      const { value: next } = await eventually(
        'the ES256 successor published',
        async () => {
          const { rotatedTo } = await keys().get(key.id);
          return rotatedTo ? keys().get(rotatedTo) : undefined;
        },
        { withinMs: 15_000, everyMs: 100 },
      );
      expect(next).toMatchObject({ algorithm: 'ES256', type: 'EC', status: 'next', rotationPolicy: policy, signingPolicy, alias: null });
      expect(Date.parse(next.activatesAt!) - Date.parse(next.createdAt)).toBeGreaterThanOrEqual(policy.prePublishSeconds * 1000 - 1_000);
      // Published while the RS256 key still signs.
      const jwksPublished = await keys().jwks();
      expect(publishedKids(jwksPublished)).toEqual(
        expect.arrayContaining([
          [key.kid, 'RSA', 'RS256'],
          [next.kid, 'EC', 'ES256'],
        ]),
      );
      const second = await sign();
      expect(decodeProtectedHeader(second).kid).toBe(key.kid);

      await eventually('the ES256 successor active', async () => (await keys().get(next.id)).status === 'active', {
        withinMs: 15_000,
        everyMs: 100,
      });
      const third = await sign();
      const jwksNow = await keys().jwks();
      // The key set fetched before the switch already verifies the new algorithm's tokens; the one after, the old ones.
      expect(await verifiedWith(jwksPublished, third)).toEqual(['ES256', next.kid]);
      for (const token of [first, second]) expect(await verifiedWith(jwksNow, token)).toEqual(['RS256', key.kid]);
      expect(await keys().get(key.id)).toMatchObject({ status: 'retiring', alias: null });
      expect(await keys().get(next.id)).toMatchObject({ alias: 'scheduled-migration', signingPolicy });
      const refused = await keys().send.signByAlias('scheduled-migration', { payload: { sub: 'u', admin: true }, expiresIn: 60 });
      expectEnvelope(refused, 400);

      const [published] = await testApp.dataSource.query<{ detail: Record<string, unknown> }[]>(
        "SELECT detail FROM audit_events WHERE key_id = $1 AND action = 'key.publish_next'",
        [key.id],
      );
      expect(published.detail).toEqual({ successorId: next.id, algorithm: 'ES256' });
    });

    it('a hand rotation activates the published successor, and refuses an algorithm other than its own', async () => {
      const policy = { rotateEverySeconds: 600, prePublishSeconds: 598, retireAfterSeconds: 60, algorithm: 'EdDSA' };
      const key = await keys().generate({ algorithm: 'ES256', name: 'published', alias: 'published-eddsa', rotationPolicy: policy });
      const { value: next } = await eventually('the EdDSA successor published', async () => {
        const { rotatedTo } = await keys().get(key.id);
        return rotatedTo ? keys().get(rotatedTo) : undefined;
      });
      expect(next).toMatchObject({ algorithm: 'EdDSA', status: 'next' });

      const refused = await keys().send.rotate(key.id, { algorithm: 'ES384' });
      expectEnvelope(refused, 400);
      expect(refused.body.errors).toEqual([
        {
          field: 'algorithm',
          message: `algorithm must be left out or match the successor already published (EdDSA, length 256); to publish another, change or remove the rotation policy first`,
        },
      ]);
      expect((await keys().get(next.id)).status).toBe('next');

      const activated = await keys().rotate(key.id, { algorithm: 'EdDSA' });
      expect(activated).toMatchObject<Partial<TenantKeyView>>({ id: next.id, algorithm: 'EdDSA', status: 'active', alias: 'published-eddsa' });
      expect((await keys().get(key.id)).status).toBe('retiring');
    });
  });

  /** The 400 for a successor of the other kind (asymmetric or HMAC) than `from`. */
  function otherKind(from: string, prefix = ''): string {
    const allowed = from.startsWith('HS') ? 'HS256, HS384, HS512' : ASYMMETRIC_ALGORITHMS.join(', ');
    return `${prefix}algorithm must be one of ${allowed} for a successor of ${from}: an HMAC key has no JWKS entry, so verifiers of the one could not verify the other`;
  }
});

describe('migrating an HSM key to another algorithm', () => {
  let token: SoftHsmToken;
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    token = createSoftHsmToken('migration');
    testApp = await startTestApp(token.env);
    tenant = await testApp.createTenant('hsm-migration');
  });
  afterAll(async () => {
    await testApp.close();
    token.cleanup();
  });

  const keys = () => keyClient(testApp, tenant);

  it('makes the successor in the token, and takes a policy whose algorithm the token has; a certificate stays refused', async () => {
    const key = await keys().generate({ algorithm: 'RS256', name: 'hsm', custody: 'hsm', alias: 'hsm-migration' });
    const refused = await keys().send.rotate(key.id, { algorithm: 'ES256', certificate: true });
    expectEnvelope(refused, 400);
    expect(refused.body.errors).toEqual([{ field: 'certificate', message: 'certificates are not available for keys in custody "hsm"' }]);

    const successor = await keys().rotate(key.id, { algorithm: 'ES256' });
    expect(successor).toMatchObject({ algorithm: 'ES256', custody: 'hsm', alias: 'hsm-migration' });
    expect(token.pkcs11Tool('--list-objects', '--type', 'privkey')).toContain(successor.id);
    const signed = await keys().signByAlias('hsm-migration');
    const { protectedHeader } = await jwtVerify(signed, createLocalJWKSet(await keys().jwks()));
    expect([protectedHeader.alg, protectedHeader.kid]).toEqual(['ES256', successor.kid]);

    const rotationPolicy = { rotateEverySeconds: 86_400, prePublishSeconds: 3_600, retireAfterSeconds: 7_200, algorithm: 'EdDSA' };
    expect((await keys().update(successor.id, { rotationPolicy })).rotationPolicy).toEqual(rotationPolicy);
  });
});
