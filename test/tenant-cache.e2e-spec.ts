import { randomUUID } from 'node:crypto';
import { TenantCacheService } from '../src/tenants/tenant-cache.service';
import { startTestApp, type TestApp } from './support/test-app';
import { eventually } from './support/eventually';

/** The per-tenant cache on its real PostgreSQL channel, without HTTP: bounded, forgetting, never keeping a stale load. */
describe('TenantCacheService', () => {
  let testApp: TestApp;
  let cache: TenantCacheService;

  beforeAll(async () => {
    testApp = await startTestApp({ CACHE_MAX_ENTRIES: '4', CACHE_MAX_ENTRIES_PER_TENANT: '3' });
    cache = testApp.app.get(TenantCacheService);
  });
  afterAll(() => testApp.close());

  const load = (value: string) => () => Promise.resolve(value);

  it('holds at most CACHE_MAX_ENTRIES entries across tenants, dropping the least recently used', async () => {
    const tenants = Array.from({ length: 6 }, () => randomUUID());
    for (const tenantId of tenants) await cache.getOrLoad(tenantId, 'jwks', load(`jwks of ${tenantId}`));
    const kept = tenants.filter((tenantId) => cache.peek(tenantId, 'jwks') !== undefined);
    expect(kept).toEqual(tenants.slice(2));
  });

  it('holds at most CACHE_MAX_ENTRIES_PER_TENANT entries of one tenant, dropping its least recently used', async () => {
    const [busy, quiet] = [randomUUID(), randomUUID()];
    await cache.getOrLoad(quiet, 'jwks', load('quiet'));
    for (const key of ['a', 'b', 'c']) await cache.getOrLoad(busy, key, load(key));
    cache.peek(busy, 'a');
    await cache.getOrLoad(busy, 'd', load('d'));
    expect(['a', 'b', 'c', 'd'].map((key) => cache.peek(busy, key))).toEqual(['a', undefined, 'c', 'd']);
    expect(cache.peek(quiet, 'jwks')).toBe('quiet');
  });

  it('keeps nothing for a lookup that found nothing', async () => {
    const tenantId = randomUUID();
    let loads = 0;
    const notFound = () => Promise.resolve((loads += 1) && null);
    expect([await cache.getOrLoad(tenantId, 'alias:unknown', notFound), await cache.getOrLoad(tenantId, 'alias:unknown', notFound)]).toEqual([
      null,
      null,
    ]);
    expect(loads).toBe(2);
  });

  it('forgets every entry of a tenant at once, and only that tenant', async () => {
    const [one, two] = [randomUUID(), randomUUID()];
    await cache.getOrLoad(one, 'jwks', load('a'));
    await cache.getOrLoad(one, 'sign:k', load('b'));
    await cache.getOrLoad(two, 'jwks', load('c'));
    cache.forget(one);
    expect([cache.peek(one, 'jwks'), cache.peek(one, 'sign:k'), cache.peek(two, 'jwks')]).toEqual([undefined, undefined, 'c']);
  });

  it('does not keep a value that was loading when the tenant changed', async () => {
    const tenantId = randomUUID();
    let finish!: (value: string) => void;
    const loading = cache.getOrLoad(tenantId, 'jwks', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.forget(tenantId);
    finish('read before the change');
    expect(await loading).toBe('read before the change');
    expect(cache.peek(tenantId, 'jwks')).toBeUndefined();
  });

  it('drops an entry at its expiry', async () => {
    const tenantId = randomUUID();
    await cache.getOrLoad(tenantId, 'jwks', load('short-lived'), () => Date.now() + 50);
    expect(cache.peek(tenantId, 'jwks')).toBe('short-lived');
    const { afterMs } = await eventually('the entry gone', () => cache.peek(tenantId, 'jwks') === undefined);
    expect(afterMs).toBeGreaterThanOrEqual(40);
  });
});
