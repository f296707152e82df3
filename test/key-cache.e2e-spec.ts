import request from 'supertest';
import { TenantsService } from '../src/tenants/tenants.service';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { cliActor } from '../src/audit/audit-trail';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { CHANGE_LISTENER_APPLICATION_NAME, TenantChangeListener } from '../src/database/tenant-changes';

const kidsOf = async (app: TestApp, tenant: TestTenant): Promise<string[]> => (await keyClient(app, tenant).jwks()).keys.map((key) => key.kid!);

/** Other instances see a change within a second: the bound the service promises. */
const withinOneSecond = async (what: string, check: () => Promise<boolean>) => (await eventually(what, check, { withinMs: 1_000 })).afterMs;

/**
 * `change`'s answer once `app` heard the tenant's change announced (a moment after the answer), which drops what it
 * cached for the tenant: what is cached after this stays until the next change.
 */
async function heard<T>(app: TestApp, tenantId: string, change: () => PromiseLike<T>): Promise<T> {
  let announced!: () => void;
  const done = new Promise<void>((resolve) => (announced = resolve));
  const unsubscribe = app.app.get(TenantChangeListener).subscribe((heardOf) => heardOf === tenantId && announced());
  try {
    const answer = await change();
    await done;
    return answer;
  } finally {
    unsubscribe();
  }
}

describe('hot reads from memory, invalidated on every change', () => {
  let first: TestApp;
  let second: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({}, first);
    tenant = await first.createTenant('cached');
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  const keys = (app: TestApp) => keyClient(app, tenant);

  it('serves the JWKS from memory until a change is announced', async () => {
    const key = await keys(first).generate({ algorithm: 'ES256', name: 'cached' });
    // What is served, then what is stored: a mismatch tells a stale answer from a lost write.
    const served = await kidsOf(first, tenant);
    const stored = await first.dataSource.query('SELECT kid, status FROM tenant_keys WHERE tenant_id = $1', [tenant.tenantId]);
    expect({ served, stored }).toEqual({ served: [key.kid], stored: [{ kid: key.kid, status: 'active' }] });
    // A row removed behind the service's back is not announced: the cached set still has it.
    await first.dataSource.query('DELETE FROM tenant_keys WHERE id = $1', [key.id]);
    expect(await kidsOf(first, tenant)).toEqual([key.kid]);
    // Any change through the service announces the tenant, and the set is read afresh.
    const other = await keys(first).generate({ algorithm: 'ES256', name: 'announces' });
    expect(await kidsOf(first, tenant)).toEqual([other.kid]);
  });

  it("shows a key generated or deleted on one instance in the other's JWKS within a second", async () => {
    const before = await kidsOf(second, tenant); // warms the second instance's cache
    const key = await keys(first).generate({ algorithm: 'RS256', name: 'cross-instance' });
    const added = await withinOneSecond("the new kid in the other instance's JWKS", async () => (await kidsOf(second, tenant)).includes(key.kid));
    expect(await kidsOf(second, tenant)).toEqual([...before, key.kid]);
    await keys(first).delete(key);
    const removed = await withinOneSecond(
      "the deleted kid gone from the other instance's JWKS",
      async () => !(await kidsOf(second, tenant)).includes(key.kid),
    );
    expect(added + removed).toBeLessThan(2_000);
  });

  it('stops signing on the other instance once a key is rotated on one', async () => {
    const key = await keys(first).generate({ algorithm: 'ES256', name: 'rotate-me' });
    await keys(second).sign(key, { payload: {} });
    await keys(first).rotate(key, { gracePeriodSeconds: 60 });
    await withinOneSecond(
      'the rotated key refused on the other instance',
      async () => (await keys(second).send.sign(key, { payload: {} })).status === 409,
    );
  });

  it('drops a retiring key from the cached JWKS at its retireAt, with no change announced', async () => {
    const key = await keys(first).generate({ algorithm: 'ES256', name: 'short grace' });
    await keys(first).rotate(key, { gracePeriodSeconds: 1 });
    expect(await kidsOf(first, tenant)).toContain(key.kid);
    const { afterMs } = await eventually('the retired kid out of the cached JWKS', async () => !(await kidsOf(first, tenant)).includes(key.kid), {
      withinMs: 3_000,
    });
    expect(afterMs).toBeGreaterThan(500);
  });

  it('stops accepting a revoked API key on every instance at once, though verified keys are remembered', async () => {
    const tenants = first.app.get(TenantsService);
    const extra = await tenants.createApiKey(cliActor(), tenant.tenantId);
    const headers = tenantHeaders(tenant.tenantId, extra.apiKey);
    expectEnvelope(await request(second.http).get('/key').set(headers), 200); // remembered on the second instance
    await tenants.revokeApiKey(cliActor(), extra.apiKeyId);
    expectEnvelope(await request(first.http).get('/key').set(headers), 401);
    await withinOneSecond(
      'the revoked API key refused on the other instance',
      async () => (await request(second.http).get('/key').set(headers)).status === 401,
    );
    expectEnvelope(await request(second.http).get('/key').set(tenant.headers), 200);
  });
});

describe('one tenant cannot push another out of the cache', () => {
  const generateHeard = (app: TestApp, tenant: TestTenant, body: Record<string, unknown>) =>
    heard(app, tenant.tenantId, () => keyClient(app, tenant).generate(body));

  /**
   * The victim's JWKS, API key and key opened for signing (by alias) in memory, then their rows changed behind the
   * service's back (nothing announced): from then on only the cache answers as before. Answers a check that it still does.
   */
  async function warmVictim(app: TestApp): Promise<() => Promise<void>> {
    const victim = await app.createTenant('victim');
    const key = await generateHeard(app, victim, { algorithm: 'ES256', name: 'hot', alias: 'hot' });
    expect(await kidsOf(app, victim)).toEqual([key.kid]);
    await keyClient(app, victim).signByAlias('hot', { payload: {} });
    await app.dataSource.query('DELETE FROM tenant_keys WHERE id = $1', [key.id]);
    await app.dataSource.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [victim.apiKeyId]);
    return async () => {
      expect(await kidsOf(app, victim)).toEqual([key.kid]);
      // 401 would be the API key read afresh, 404 the alias or the key.
      await keyClient(app, victim).signByAlias('hot', { payload: {} });
    };
  }

  it("leaves another tenant's JWKS, API key and signing key in memory after 1,500 unknown-alias calls", async () => {
    // Fewer entries than calls, and no tenant share below that: only not keeping what was not found protects the victim.
    const app = await startTestApp({ CACHE_MAX_ENTRIES: '1000' });
    try {
      const stillServedFromMemory = await warmVictim(app);
      const hostile = await app.createTenant('hostile');
      for (let batch = 0; batch < 100; batch += 1) {
        const calls = Array.from({ length: 15 }, (_, i) => keyClient(app, hostile).send.signByAlias(`unknown-${batch}-${i}`, { payload: {} }));
        for (const res of await Promise.all(calls)) expectEnvelope(res, 404);
      }
      await stillServedFromMemory();
    } finally {
      await app.close();
    }
  });

  it('keeps at most CACHE_MAX_ENTRIES_PER_TENANT entries of one tenant, however many keys it signs with', async () => {
    const app = await startTestApp({ CACHE_MAX_ENTRIES: '20', CACHE_MAX_ENTRIES_PER_TENANT: '10' });
    try {
      const stillServedFromMemory = await warmVictim(app);
      const hostile = await app.createTenant('hostile with many keys');
      const keys = [];
      for (let i = 0; i < 25; i += 1) keys.push(await generateHeard(app, hostile, { algorithm: 'ES256', name: `many-${i}` }));
      for (const key of keys) await keyClient(app, hostile).sign(key, { payload: {} });
      await stillServedFromMemory();
    } finally {
      await app.close();
    }
  });
});

describe('revocation when the instance stops hearing changes', () => {
  const HEARTBEAT_SECONDS = 1;
  /** The bound the service states: two heartbeats after the change commits. */
  const STALE_AT_MOST_MS = 2 * HEARTBEAT_SECONDS * 1_000;

  it("refuses a revoked API key within two heartbeats though its LISTEN connection's backend is frozen", async () => {
    const first = await startTestApp({ CACHE_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) });
    // The first instance's LISTEN backend, found before the second instance opens its own.
    const [listener] = await first.dataSource.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [
      CHANGE_LISTENER_APPLICATION_NAME,
    ]);
    const second = await startTestApp({}, first);
    let frozen = false;
    try {
      const tenant = await first.createTenant('frozen listener');
      const tenants = first.app.get(TenantsService);
      const issue = async () => {
        const issued = await heard(first, tenant.tenantId, () => tenants.createApiKey(cliActor(), tenant.tenantId));
        first.trackSecret(issued.apiKey);
        return { ...issued, headers: tenantHeaders(tenant.tenantId, issued.apiKey) };
      };
      const [remembered, revoked] = [await issue(), await issue()];
      // Remembered by the first instance (issuing a key made it forget the tenant's).
      for (const { headers } of [remembered, revoked]) expectEnvelope(await request(first.http).get('/key').set(headers), 200);
      // While heartbeats come back, the cache is trusted past their deadline: a revocation behind the service's back
      // (not announced) goes unseen for two deadlines.
      await first.dataSource.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [remembered.apiKeyId]);
      const started = Date.now();
      await eventually('two heartbeat deadlines, the unannounced revocation unseen', async () => {
        expectEnvelope(await request(first.http).get('/key').set(remembered.headers), 200);
        return Date.now() - started >= 2 * STALE_AT_MOST_MS;
      });
      process.kill(listener.pid, 'SIGSTOP');
      frozen = true;
      await second.app.get(TenantsService).revokeApiKey(cliActor(), revoked.apiKeyId);
      // The bound, and half a second for the requests that poll.
      await eventually(
        'the revoked API key refused by the instance that cannot hear the revocation',
        async () => (await request(first.http).get('/key').set(revoked.headers)).status === 401,
        { withinMs: STALE_AT_MOST_MS + 500 },
      );
      // The frozen connection cannot close by itself: the heartbeat's deadline made the first instance reconnect.
      await eventually('another LISTEN connection of the first instance', async () => {
        const [{ listeners }] = await first.dataSource.query(
          'SELECT count(*)::int AS listeners FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> $2',
          [CHANGE_LISTENER_APPLICATION_NAME, listener.pid],
        );
        return listeners === 2;
      });
    } finally {
      if (frozen) process.kill(listener.pid, 'SIGCONT');
      await second.close();
      await first.close();
    }
  });
});
