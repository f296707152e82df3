import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../src/audit/audit-trail';
import { TenantCacheService } from '../src/tenants/tenant-cache.service';
import { UnitOfWork } from '../src/changes/unit-of-work';
import { receiverOfEveryEvent, type Receiver } from './support/webhook-receiver';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

describe('UnitOfWork: every change in one transaction, and what follows its commit', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let work: UnitOfWork;
  let receiver: Receiver;

  beforeAll(async () => {
    testApp = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    tenant = await testApp.createTenant('unit-of-work');
    work = testApp.app.get(UnitOfWork);
    // A subscription that listens to everything: an event emitted becomes a delivery row.
    receiver = await receiverOfEveryEvent(testApp, tenant);
  });
  afterAll(async () => {
    await testApp.close();
    await receiver.close();
  });

  const recorded = async (apiKeyId: string) => {
    const [{ audited }] = await testApp.dataSource.query<[{ audited: number }]>(
      `SELECT count(*)::int AS audited FROM audit_events WHERE tenant_id = $1 AND key_id = $2`,
      [tenant.tenantId, apiKeyId],
    );
    const deliveries = await testApp.dataSource.query<{ body: string }[]>(
      `SELECT body FROM webhook_deliveries WHERE tenant_id = $1 AND body LIKE $2`,
      [tenant.tenantId, `%${apiKeyId}%`],
    );
    return { audited, deliveries: deliveries.map(({ body }) => JSON.parse(body) as { type: string; data: unknown }) };
  };

  /** A change that writes nothing of its own: its audit row and its event are what it leaves. */
  const change = (apiKeyId: string, afterCommit: () => unknown, fail = false) =>
    work.run((change) => {
      change.audit({ actor: SYSTEM_ACTOR, action: 'api_key.revoke', tenantId: tenant.tenantId, keyId: apiKeyId });
      change.emit('api_key.revoked', { tenantId: tenant.tenantId, apiKeyId });
      change.announce(tenant.tenantId);
      change.afterCommit(afterCommit);
      if (fail) throw new Error('the change fails');
    });

  it('runs an after-commit step once the change has committed: its audit row and its delivery are visible to others by then', async () => {
    const apiKeyId = randomUUID();
    let seen: Awaited<ReturnType<typeof recorded>> | undefined;
    await change(apiKeyId, async () => {
      seen = await recorded(apiKeyId);
    });
    expect(seen).toEqual({
      audited: 1,
      deliveries: [{ type: 'api_key.revoked', timestamp: expect.any(String), data: { tenantId: tenant.tenantId, apiKeyId } }],
    });
  });

  it('never runs an after-commit step of a change that rolls back, whose audit row and deliveries roll back with it', async () => {
    const apiKeyId = randomUUID();
    const step = jest.fn();
    await expect(change(apiKeyId, step, true)).rejects.toThrow('the change fails');
    expect(step).not.toHaveBeenCalled();
    expect(await recorded(apiKeyId)).toEqual({ audited: 0, deliveries: [] });
  });

  it('forgets what this instance cached of an announced tenant as soon as the change commits, not when its NOTIFY comes back', async () => {
    const cache = testApp.app.get(TenantCacheService);
    await cache.getOrLoad(tenant.tenantId, 'unit-of-work probe', () => Promise.resolve('cached'));
    expect(cache.peek(tenant.tenantId, 'unit-of-work probe')).toBe('cached');
    const rolledBack = work.run((change) => {
      change.announce(tenant.tenantId);
      throw new Error('rolled back');
    });
    await expect(rolledBack).rejects.toThrow('rolled back');
    expect(cache.peek(tenant.tenantId, 'unit-of-work probe')).toBe('cached');
    await work.run((change) => change.announce(tenant.tenantId));
    expect(cache.peek(tenant.tenantId, 'unit-of-work probe')).toBeUndefined();
  });

  it('announces the tenant of every event it queues, so that the delivery loops wake, even when its producer did not', async () => {
    // A tenant nothing was ever announced for: only this change's announcement can make this instance forget it.
    const tenantId = randomUUID();
    const cache = testApp.app.get(TenantCacheService);
    await cache.getOrLoad(tenantId, 'unit-of-work probe', () => Promise.resolve('cached'));
    await work.run((change) => change.emit('api_key.revoked', { tenantId, apiKeyId: randomUUID() }));
    expect(cache.peek(tenantId, 'unit-of-work probe')).toBeUndefined();
  });

  it('answers a committed change even when a step after it fails (the step reports its own failure)', async () => {
    const apiKeyId = randomUUID();
    const later = jest.fn();
    await expect(
      work.run((change) => {
        change.audit({ actor: SYSTEM_ACTOR, action: 'api_key.revoke', tenantId: tenant.tenantId, keyId: apiKeyId });
        change.afterCommit(() => Promise.reject(new Error('the token is away')));
        change.afterCommit(later);
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(later).toHaveBeenCalled();
    expect((await recorded(apiKeyId)).audited).toBe(1);
  });
});
