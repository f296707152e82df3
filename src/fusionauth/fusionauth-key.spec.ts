import type { TenantKeyView } from '../tenant-keys/dto/tenant-key.view';
import { fromFusionAuthAlgorithm, nameMatcher, searchKeys, toFusionAuthAlgorithm, toFusionAuthKey, type FusionAuthKey } from './fusionauth-key';

const view = (changes: Partial<TenantKeyView> = {}): TenantKeyView => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'signing',
  algorithm: 'EdDSA',
  type: 'OKP',
  curve: 'Ed25519',
  length: 256,
  hasPrivateKey: true,
  custody: 'software',
  issuer: null,
  kid: 'kid-1',
  publicKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n',
  jwk: null,
  certificate: null,
  certificateExpiresAt: null,
  status: 'active',
  alias: 'login',
  rotationPolicy: null,
  signingPolicy: null,
  nextRotationAt: null,
  activatesAt: null,
  deleteAt: null,
  retireAt: null,
  rotatedFrom: null,
  rotatedTo: null,
  createdAt: '2026-01-02T03:04:05.678Z',
  updatedAt: '2026-01-03T03:04:05.678Z',
  ...changes,
});

describe("FusionAuth's Key", () => {
  it('names EdDSA Ed25519 both ways, and every other algorithm alike', () => {
    expect([toFusionAuthAlgorithm('EdDSA'), toFusionAuthAlgorithm('PS256'), toFusionAuthAlgorithm('HS512')]).toEqual(['Ed25519', 'PS256', 'HS512']);
    expect([
      fromFusionAuthAlgorithm('Ed25519'),
      fromFusionAuthAlgorithm('EdDSA'),
      fromFusionAuthAlgorithm('RS256'),
      fromFusionAuthAlgorithm(7),
    ]).toEqual(['EdDSA', 'EdDSA', 'RS256', 7]);
  });

  it('has instants in epoch milliseconds, leaves out what has no value, and has none of our own members', () => {
    expect(toFusionAuthKey(view())).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      name: 'signing',
      algorithm: 'Ed25519',
      type: 'OKP',
      length: 256,
      kid: 'kid-1',
      hasPrivateKey: true,
      publicKey: view().publicKey,
      insertInstant: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      lastUpdateInstant: Date.UTC(2026, 0, 3, 3, 4, 5, 678),
    });
  });

  it('an HMAC key: no public key, no secret', () => {
    const key = toFusionAuthKey(view({ algorithm: 'HS256', type: 'HMAC', publicKey: null }));
    expect(Object.keys(key)).not.toEqual(expect.arrayContaining(['publicKey']));
    expect(key).not.toHaveProperty('secret');
    expect(key).not.toHaveProperty('privateKey');
  });
});

describe("FusionAuth's key search", () => {
  const keys: FusionAuthKey[] = [
    ['Login tokens', 'RS256', 'RSA', 3],
    ['login backup', 'ES256', 'EC', 1],
    ['webhooks', 'HS256', 'HMAC', 2],
    ['a.b (1)', 'ES256', 'EC', 4],
  ].map(([name, algorithm, type, insertInstant], index) => ({
    ...toFusionAuthKey(view({ id: `0000000${index}-0000-4000-8000-000000000000` })),
    name: name as string,
    algorithm: algorithm as string,
    type: type as string,
    insertInstant: insertInstant as number,
  }));
  const search = (criteria: Record<string, unknown>) => searchKeys(keys, { numberOfResults: 25, startRow: 0, orderBy: 'name ASC', ...criteria });
  const names = (criteria: Record<string, unknown>) => search(criteria).keys.map((key) => key.name);

  it('matches names without regard to case: with *, the whole name; without, within it', () => {
    expect(names({ name: 'login*' })).toEqual(['login backup', 'Login tokens']);
    expect(names({ name: '*tokens' })).toEqual(['Login tokens']);
    expect(names({ name: 'ok' })).toEqual(['Login tokens', 'webhooks']);
    // What a regular expression would read otherwise is only text.
    expect(names({ name: 'a.b (1)' })).toEqual(['a.b (1)']);
    expect(names({ name: 'a?b' })).toEqual([]);
  });

  it('matches wildcards in linear time: many stars against a long name answer at once', () => {
    const matches = (pattern: string, name: string) => nameMatcher(pattern)(name);
    expect(matches('l*n*s', 'Login tokens')).toBe(true);
    expect(matches('*o*o*', 'login backup')).toBe(false);
    expect(matches('**login**', 'LOGIN')).toBe(true);
    expect(matches('*', '')).toBe(true);
    // A regular expression built from these (`^a.*a.*…b$`) backtracked past jest's timeout on the same input.
    expect(matches('a*'.repeat(6) + 'b', 'a'.repeat(255))).toBe(false);
    expect(matches('*'.repeat(25) + 'x', 'production signing key'.repeat(11))).toBe(false);
    expect(matches('*'.repeat(25) + 'y', 'production signing key'.repeat(11))).toBe(true);
  });

  it('filters by algorithm and type, orders by any of FusionAuth’s fields either way, and pages with the total', () => {
    expect(names({ type: 'EC' })).toEqual(['a.b (1)', 'login backup']);
    expect(names({ algorithm: 'HS256' })).toEqual(['webhooks']);
    expect(names({ orderBy: 'insertInstant DESC' })).toEqual(['a.b (1)', 'Login tokens', 'webhooks', 'login backup']);
    expect(search({ orderBy: 'insertInstant', numberOfResults: 2, startRow: 1 })).toMatchObject({
      total: 4,
      keys: [{ name: 'webhooks' }, { name: 'Login tokens' }],
    });
  });
});
