import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { WEBHOOK_EVENTS } from '../console/src/vocabulary';
import { WEBHOOK_EVENT_TYPES } from '../src/changes/events';
import { makeApiKey, openConsole, openScreen, refusedNote, screenshot, shownAt, startConsoleApp } from './support/console';
import { eventually } from './support/eventually';
import { expectEnvelope, type TestApp, type TestTenant } from './support/test-app';
import { startReceiver } from './support/webhook-receiver';

/** The console's API keys, webhooks and audit trail screens in Debian's Chromium; the API (through supertest) is the truth. */
describe('/console: API keys, webhooks and the audit trail', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // A local receiver is a private address: allowed here. Retries come after a second; two seconds of failures disable.
    ({ testApp, browser, close } = await startConsoleApp({
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SECONDS: '1,1,1,1,1,1',
      WEBHOOK_DISABLE_AFTER_SECONDS: '2',
    }));
    tenant = await testApp.createTenant('console-admin');
  }, 60_000);
  afterAll(() => close?.());

  /** The text of each cell of each body row of a table, found by its name. */
  const rowsOf = async (page: Page, table: string) => {
    const rows = page.getByRole('table', { name: table }).getByRole('row');
    const texts: string[][] = [];
    // The first row is the header.
    for (const row of (await rows.all()).slice(1)) texts.push(await row.getByRole('cell').allTextContents());
    return texts;
  };

  describe('API keys', () => {
    interface ApiKeyView {
      id: string;
      name: string | null;
      prefix: string;
      createdAt: string;
      lastUsedAt: string | null;
      revokedAt: string | null;
    }

    it('creates a key with scopes, signing keys and expiry, shows its secret once with a copy button, its last use, and revokes it', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'API keys');
      const form = page.getByRole('form', { name: 'Create an API key' });
      await form.getByLabel('Name').fill('ci-signer');
      await form.getByLabel('keys:read', { exact: true }).check();
      await form.getByLabel('keys:sign', { exact: true }).check();
      await form.getByLabel(/^Signing keys/).fill('login, payments ');
      const local = `${new Date().getFullYear() + 1}-03-04T05:06`;
      await form.getByLabel(/^Expires/).fill(local);
      // datetime-local is the browser's local time: the instant it means there.
      const expiresAt = await page.evaluate<string>(`new Date('${local}').toISOString()`);
      await form.getByRole('button', { name: 'Create API key' }).click();

      const secretBox = page.getByLabel('API key secret', { exact: true });
      await secretBox.waitFor();
      const secret = (await secretBox.textContent())!;
      testApp.trackSecret(secret);
      await expect(page.getByText('this secret will not be shown again').count()).resolves.toBe(1);
      await expect(page.getByRole('status').filter({ hasText: 'API key created' }).count()).resolves.toBe(1);

      // The API holds what was typed.
      const listed = await request(testApp.http).get('/api-keys').set(tenant.headers);
      const made = (listed.body.data as ApiKeyView[]).find((key) => key.name === 'ci-signer')!;
      expect(made).toMatchObject({
        scopes: ['keys:read', 'keys:sign'],
        signKeys: ['login', 'payments'],
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(secret.startsWith(made.prefix)).toBe(true);

      // The copy button puts the secret in the clipboard.
      await page.getByRole('button', { name: 'Copy API key secret' }).click();
      await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(secret);

      const row = page.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'ci-signer' });
      await row.waitFor();
      await expect(row.getByRole('cell').allTextContents()).resolves.toEqual([
        'ci-signer',
        `${made.prefix}…`,
        'keys:read, keys:sign',
        'login, payments',
        shownAt(expiresAt),
        shownAt(made.createdAt),
        'never',
        '–',
        'Revoke',
      ]);
      // The key signed in is marked, and may not revoke itself.
      const me = (await request(testApp.http).get('/api-keys/current').set(tenant.headers)).body.data as { prefix: string; name: string | null };
      const mine = page.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'this key' });
      await expect(mine.getByRole('cell').nth(1).textContent()).resolves.toBe(`${me.prefix}…`);
      await expect(mine.getByRole('button', { name: /^Revoke/ }).isDisabled()).resolves.toBe(true);
      await expect(mine.getByText('You are signed in with this key').count()).resolves.toBe(1);

      // The secret works; it is gone from the page once the user leaves the screen.
      const used = await request(testApp.http)
        .get('/api-keys/current')
        .set({ authorization: `Basic ${secret}`, 'x-stencil-tenantid': tenant.tenantId });
      expectEnvelope(used, 200);
      expect(used.body.data.id).toBe(made.id);
      // The service records the use after answering.
      const { value: lastUsedAt } = await eventually<string>('the use recorded', async () => {
        const stored = (await request(testApp.http).get(`/api-keys/${made.id}`).set(tenant.headers)).body.data as ApiKeyView;
        return stored.lastUsedAt ?? undefined;
      });
      await openScreen(page, 'Keys');
      await openScreen(page, 'API keys');
      await row.waitFor();
      expect(await page.content()).not.toContain(secret);
      await expect(page.getByLabel('API key secret', { exact: true }).count()).resolves.toBe(0);

      // Its last use shows.
      await expect(row.getByRole('cell').nth(6).textContent()).resolves.toBe(shownAt(lastUsedAt));

      // Revoke asks once more, then the API refuses the key.
      // By keyboard: the confirmation takes the focus.
      await row.getByRole('button', { name: 'Revoke ci-signer' }).focus();
      await page.keyboard.press('Enter');
      await expect(
        row.getByRole('button', { name: 'Confirm: revoke ci-signer' }).evaluate((button) => button === button.ownerDocument.activeElement),
      ).resolves.toBe(true);
      // Before it runs, the question shows the call's curl line, with this key's id.
      await expect(row.getByLabel('curl for DELETE /api-keys/{id}').textContent()).resolves.toContain(`/api-keys/${made.id}`);
      expect((await request(testApp.http).get(`/api-keys/${made.id}`).set(tenant.headers)).body.data.revokedAt).toBeNull();
      await page.keyboard.press('Enter');
      await page.getByRole('status').filter({ hasText: 'API key revoked' }).waitFor();
      const revoked = (await request(testApp.http).get(`/api-keys/${made.id}`).set(tenant.headers)).body.data as ApiKeyView;
      expect(revoked.revokedAt).not.toBeNull();
      // The list reloads after the answer.
      await eventually('the revocation shown', async () => (await row.getByRole('cell').nth(7).textContent()) === shownAt(revoked.revokedAt));
      await request(testApp.http)
        .get('/api-keys/current')
        .set({ authorization: `Basic ${secret}`, 'x-stencil-tenantid': tenant.tenantId })
        .expect(401);
      await expect(page.getByLabel('curl for DELETE /api-keys/{id}').textContent()).resolves.toContain(`/api-keys/${made.id}`);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('shows the API’s message when it refuses a key', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'API keys');
      const form = page.getByRole('form', { name: 'Create an API key' });
      await form.getByLabel('Name').fill('no-scopes');
      await form.getByRole('button', { name: 'Create API key' }).click();
      const refused = await request(testApp.http).post('/api-keys').set(tenant.headers).send({ name: 'no-scopes', scopes: [] });
      expectEnvelope(refused, 400);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const shown = await alert.textContent();
      expect(shown).toContain(refused.body.code);
      expect(shown).toContain(refused.body.message);
      for (const error of refused.body.errors as { message: string }[]) expect(shown).toContain(error.message);
      expect(problems).toEqual([refusedNote(400)]);
      await context.close();
    });

    it('offers only the scopes the signed-in key holds, and says so of the others', async () => {
      const delegate = await makeApiKey(testApp, tenant, { name: 'delegate', scopes: ['api-keys:manage', 'keys:read'], signKeys: ['login'] });
      const { context, page, problems } = await openConsole(browser, testApp, delegate);
      await openScreen(page, 'API keys');
      const scopes = page.getByRole('group', { name: 'Scopes' });
      await expect(scopes.getByRole('checkbox', { name: 'keys:read', exact: true }).isEnabled()).resolves.toBe(true);
      await expect(scopes.getByRole('checkbox', { name: 'keys:write not held by this key' }).isDisabled()).resolves.toBe(true);
      await expect(scopes.getByText('not held by this key').count()).resolves.toBe(5);
      await expect(page.getByText('Within what this key may sign with: login').count()).resolves.toBe(1);
      expect(problems).toEqual([]);
      await context.close();
    });
  });

  describe('webhooks', () => {
    it('offers the event types the API takes', () => {
      expect(WEBHOOK_EVENTS).toEqual([...WEBHOOK_EVENT_TYPES]);
    });

    it('subscribes a receiver, shows its deliveries, redelivers, rotates the secret (shown once), disables and deletes', async () => {
      const receiver = await startReceiver();
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      try {
        await openScreen(page, 'Webhooks');
        const form = page.getByRole('form', { name: 'Create a webhook' });
        await form.getByRole('textbox', { name: 'URL' }).fill(receiver.url);
        await form.getByLabel('key.created', { exact: true }).check();
        await form.getByRole('button', { name: 'Create webhook' }).click();
        const secretBox = page.getByLabel('Webhook signing secret', { exact: true });
        await secretBox.waitFor();
        const secret = (await secretBox.textContent())!;
        testApp.trackSecret(secret);
        const webhooks = (await request(testApp.http).get('/key/webhooks').set(tenant.headers)).body.data as { id: string; url: string }[];
        const made = webhooks.find((webhook) => webhook.url === receiver.url)!;
        expect(made).toMatchObject({ events: ['key.created'], enabled: true });

        // A key event reaches the receiver, signed with the secret shown.
        const key = (await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'hooked' })).body.data;
        await eventually('the event received', () => receiver.received.length === 1);
        const first = receiver.received[0];
        expect(() => new Webhook(secret).verify(first.body, first.headers as Record<string, string>)).not.toThrow();
        expect(JSON.parse(first.body)).toMatchObject({ type: 'key.created', data: { keyId: key.id } });

        // The deliveries table shows it delivered, as the API does.
        await page.getByRole('button', { name: `Deliveries of ${receiver.url}` }).click();
        const deliveries = page.getByRole('table', { name: 'Deliveries' });
        await eventually('the delivery shown as delivered', async () => {
          await page.getByRole('button', { name: 'Refresh deliveries' }).click();
          return (await deliveries.getByRole('cell', { name: 'delivered', exact: true }).count()) === 1;
        });
        const [delivery] = (await request(testApp.http).get(`/key/webhooks/${made.id}/deliveries`).set(tenant.headers)).body.data;
        expect(delivery).toMatchObject({ eventType: 'key.created', status: 'delivered', attempts: 1, lastStatusCode: 204 });
        await expect(rowsOf(page, 'Deliveries')).resolves.toEqual([
          ['key.created', 'delivered', '1', '204', '–', '–', shownAt(delivery.deliveredAt), shownAt(delivery.createdAt), 'Redeliver'],
        ]);

        // Redeliver: the question shows the call's curl line before it runs; then the receiver gets it again, with the same webhook-id.
        await deliveries.getByRole('button', { name: `Redeliver key.created ${delivery.id}` }).click();
        const redeliverPath = `/key/webhooks/${made.id}/deliveries/${delivery.id}/redeliver`;
        await expect(deliveries.getByLabel('curl for POST /key/webhooks/{id}/deliveries/{deliveryId}/redeliver').textContent()).resolves.toContain(
          redeliverPath,
        );
        expect(receiver.received).toHaveLength(1);
        await deliveries.getByRole('button', { name: `Confirm: redeliver key.created ${delivery.id}` }).click();
        await page.getByRole('status').filter({ hasText: 'Delivery queued' }).waitFor();
        await eventually('the event received again', () => receiver.received.length === 2);
        expect(receiver.received[1].headers['webhook-id']).toBe(delivery.id);
        await expect(page.getByLabel(/^curl for POST \/key\/webhooks\/\{id\}\/deliveries/).textContent()).resolves.toContain(redeliverPath);

        // Rotate: a new secret, shown once; the old one signs beside it until the time the API says, shown in the table.
        await page.getByRole('button', { name: `Rotate secret ${receiver.url}` }).click();
        await expect(page.getByLabel('curl for POST /key/webhooks/{id}/rotate-secret').textContent()).resolves.toContain(
          `/key/webhooks/${made.id}/rotate-secret`,
        );
        await page.getByRole('button', { name: `Confirm: rotate secret ${receiver.url}` }).click();
        await page.getByRole('status').filter({ hasText: 'Webhook secret rotated' }).waitFor();
        const rotated = (await secretBox.textContent())!;
        testApp.trackSecret(rotated);
        expect(rotated).toMatch(/^whsec_/);
        expect(rotated).not.toBe(secret);
        const after = (await request(testApp.http).get(`/key/webhooks/${made.id}`).set(tenant.headers)).body.data;
        expect(after.previousSecretExpiresAt).not.toBeNull();
        const webhookRow = page.getByRole('table', { name: 'Webhooks' }).getByRole('row').filter({ hasText: receiver.url });
        await eventually(
          'the old secret’s end shown',
          async () => (await webhookRow.getByRole('cell').nth(6).textContent()) === shownAt(after.previousSecretExpiresAt),
        );
        await openScreen(page, 'Keys');
        await openScreen(page, 'Webhooks');
        await page.getByRole('table', { name: 'Webhooks' }).waitFor();
        const content = await page.content();
        expect(content).not.toContain(rotated);
        expect(content).not.toContain(secret);

        // Disable, then delete after a second click.
        await page.getByRole('button', { name: `Disable ${receiver.url}` }).click();
        await page.getByRole('button', { name: `Confirm: disable ${receiver.url}` }).click();
        await page.getByRole('button', { name: `Enable ${receiver.url}` }).waitFor();
        expect((await request(testApp.http).get(`/key/webhooks/${made.id}`).set(tenant.headers)).body.data.enabled).toBe(false);
        await page.getByRole('button', { name: `Delete ${receiver.url}` }).click();
        await expect(page.getByLabel('curl for DELETE /key/webhooks/{id}').textContent()).resolves.toContain(`/key/webhooks/${made.id}`);
        await page.getByRole('button', { name: `Confirm: delete ${receiver.url}` }).click();
        await page.getByRole('status').filter({ hasText: 'Webhook deleted' }).waitFor();
        await request(testApp.http).get(`/key/webhooks/${made.id}`).set(tenant.headers).expect(404);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
        await receiver.close();
      }
    });

    it('shows a failing receiver’s failed tries, since when it fails, why the service disabled it, and enables it again', async () => {
      const own = await testApp.createTenant('console-failing');
      const receiver = await startReceiver(Number.MAX_SAFE_INTEGER);
      const { context, page, problems } = await openConsole(browser, testApp, own);
      try {
        const created = await request(testApp.http)
          .post('/key/webhooks')
          .set(own.headers)
          .send({ url: receiver.url, events: ['*'] });
        testApp.trackSecret(created.body.data.secret);
        const { id } = created.body.data as { id: string };
        await request(testApp.http).post('/key/generate').set(own.headers).send({ algorithm: 'ES256', name: 'unheard' });
        const view = async () => (await request(testApp.http).get(`/key/webhooks/${id}`).set(own.headers)).body.data;
        const { value: disabled } = await eventually('disabled by the service', async () => ((await view()).enabled === false ? view() : undefined), {
          withinMs: 15_000,
        });
        // Its pending delivery then fails at once.
        const { value: delivery } = await eventually('the delivery failed', async () => {
          const [latest] = (await request(testApp.http).get(`/key/webhooks/${id}/deliveries`).set(own.headers)).body.data;
          return latest?.status === 'failed' ? latest : undefined;
        });
        expect(delivery).toMatchObject({ lastStatusCode: 500, nextAttemptAt: null });
        await openScreen(page, 'Webhooks');
        const row = page.getByRole('table', { name: 'Webhooks' }).getByRole('row').filter({ hasText: receiver.url });
        await row.waitFor();
        await expect(row.getByRole('cell').allTextContents()).resolves.toEqual([
          receiver.url,
          '*',
          'no',
          shownAt(disabled.failingSince),
          `${disabled.disabledReason}${shownAt(disabled.disabledAt)}`,
          shownAt(disabled.createdAt),
          '–',
          'EnableRotate secretDeliveriesDelete',
        ]);
        await page.getByRole('button', { name: `Deliveries of ${receiver.url}` }).click();
        await page.getByRole('table', { name: 'Deliveries' }).waitFor();
        await expect(rowsOf(page, 'Deliveries')).resolves.toEqual([
          [
            'key.created',
            'failed',
            String(delivery.attempts),
            '500',
            delivery.lastError ?? '–',
            shownAt(delivery.nextAttemptAt),
            '–',
            shownAt(delivery.createdAt),
            'Redeliver',
          ],
        ]);

        await page.getByRole('button', { name: `Enable ${receiver.url}` }).click();
        await page.getByRole('button', { name: `Confirm: enable ${receiver.url}` }).click();
        await page.getByRole('button', { name: `Disable ${receiver.url}` }).waitFor();
        expect(await view()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
        await expect(row.getByRole('cell').nth(4).textContent()).resolves.toBe('–');
        expect(problems).toEqual([]);
      } finally {
        await context.close();
        await receiver.close();
      }
    });

    it('shows the API’s message for a URL it refuses', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'Webhooks');
      const form = page.getByRole('form', { name: 'Create a webhook' });
      await form.getByRole('textbox', { name: 'URL' }).fill('ftp://hooks.example.com/x');
      await form.getByLabel('every event (*)').check();
      await form.getByRole('button', { name: 'Create webhook' }).click();
      const refused = await request(testApp.http)
        .post('/key/webhooks')
        .set(tenant.headers)
        .send({ url: 'ftp://hooks.example.com/x', events: ['*'] });
      expect(refused.status).toBe(400);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const shown = await alert.textContent();
      expect(shown).toContain(refused.body.code);
      expect(shown).toContain(refused.body.message);
      expect(problems).toEqual([refusedNote(400)]);
      await context.close();
    });
  });

  describe('audit trail', () => {
    interface AuditEventView {
      at: string;
      action: string;
      keyId: string | null;
      actor: { type: string; id: string | null };
      outcome: string;
      requestId: string | null;
      detail: Record<string, unknown> | null;
    }
    /** The rows the console should show for the API's answer to the same query. */
    const expectedRows = async (who: TestTenant, query: string) => {
      const answer = await request(testApp.http).get(`/key/audit?${query}`).set(who.headers);
      expectEnvelope(answer, 200);
      const rows = (answer.body.data as AuditEventView[]).map((event) => [
        shownAt(event.at),
        event.action,
        event.keyId ?? '–',
        event.actor.id ? `${event.actor.type} ${event.actor.id}` : event.actor.type,
        event.outcome,
        event.requestId ?? '–',
        event.detail ? JSON.stringify(event.detail) : '–',
      ]);
      return { rows, nextCursor: answer.body.meta.nextCursor as string | null };
    };
    const shows = async (page: Page, rows: string[][]) => {
      await eventually(
        'the audit trail shows the API’s rows',
        async () => JSON.stringify(await rowsOf(page, 'Audit trail')) === JSON.stringify(rows),
      );
    };

    it('filters by action, key and outcome, and pages, exactly as GET /key/audit does', async () => {
      const own = await testApp.createTenant('console-audit');
      const call = (method: 'post' | 'put', path: string, requestId: string, body: object) =>
        request(testApp.http)[method](path).set(own.headers).set('x-request-id', requestId).send(body);
      const first = (await call('post', '/key/generate', 'audit-generate', { algorithm: 'ES256', name: 'a0' })).body.data;
      expectEnvelope(await call('put', `/key/${first.id}`, 'audit-rename-1', { name: 'a1' }), 200);
      expectEnvelope(await call('put', `/key/${first.id}`, 'audit-rename-2', { name: 'a2' }), 200);
      // Refused, and on record as a failure.
      expectEnvelope(await call('put', `/key/${randomUUID()}`, 'audit-missing', { name: 'ghost' }), 404);
      expectEnvelope(await call('post', `/key/generate/${first.id}`, 'audit-taken', { algorithm: 'ES256', name: 'again' }), 409);
      const second = (await call('post', '/key/generate', 'audit-second', { algorithm: 'ES256', name: 'b0' })).body.data;
      expectEnvelope(await call('put', `/key/${second.id}`, 'audit-second-rename', { name: 'b1' }), 200);

      const { context, page, problems } = await openConsole(browser, testApp, own);
      await openScreen(page, 'Audit trail');
      await shows(page, (await expectedRows(own, 'limit=50')).rows);
      const filters = page.getByRole('form', { name: 'Audit filters' });
      const apply = async (filter: { action?: string; keyId?: string; outcome?: string; limit?: string }) => {
        await filters.getByLabel('Action').selectOption(filter.action ?? '');
        await filters.getByLabel('Key id').fill(filter.keyId ?? '');
        await filters.getByLabel('Outcome').selectOption(filter.outcome ?? '');
        await filters.getByLabel('Per page').fill(filter.limit ?? '50');
        await filters.getByRole('button', { name: 'Show' }).click();
      };

      await apply({ action: 'key.rename' });
      const renames = await expectedRows(own, 'action=key.rename&limit=50');
      expect(renames.rows.map((row) => row[5])).toEqual(['audit-second-rename', 'audit-missing', 'audit-rename-2', 'audit-rename-1']);
      await shows(page, renames.rows);

      await apply({ outcome: 'failure' });
      const failures = await expectedRows(own, 'outcome=failure&limit=50');
      expect(failures.rows.map((row) => row[5])).toEqual(['audit-taken', 'audit-missing']);
      await shows(page, failures.rows);

      await apply({ action: 'key.rename', keyId: first.id, outcome: 'success' });
      await shows(page, (await expectedRows(own, `action=key.rename&keyId=${first.id}&outcome=success&limit=50`)).rows);
      // The key links to its page.
      await expect(page.getByRole('table', { name: 'Audit trail' }).getByRole('link', { name: first.id }).first().getAttribute('href')).resolves.toBe(
        `#/keys/${first.id}`,
      );

      // Pages of two: next, next, first.
      await apply({ limit: '2' });
      const page1 = await expectedRows(own, 'limit=2');
      await shows(page, page1.rows);
      await page.getByRole('button', { name: 'Next page' }).click();
      const page2 = await expectedRows(own, `limit=2&cursor=${page1.nextCursor}`);
      await shows(page, page2.rows);
      expect(page2.rows).not.toEqual(page1.rows);
      await page.getByRole('button', { name: 'Next page' }).click();
      await shows(page, (await expectedRows(own, `limit=2&cursor=${page2.nextCursor}`)).rows);
      await page.getByRole('button', { name: 'First page' }).click();
      await shows(page, page1.rows);
      await expect(page.getByLabel('curl for GET /key/audit').textContent()).resolves.toContain('/key/audit?limit=2');

      // A key id the API refuses: its message as it comes.
      await apply({ keyId: 'not-a-uuid' });
      const refused = await request(testApp.http).get('/key/audit?keyId=not-a-uuid&limit=50').set(own.headers);
      expect(refused.status).toBe(400);
      await page.getByRole('alert').waitFor();
      await expect(page.getByRole('alert').textContent()).resolves.toContain(refused.body.message);
      expect(problems).toEqual([refusedNote(400)]);
      await context.close();
    });
  });

  it('greys out, with the reason, what a keys:read-only key may not do, and shows the API’s 403 as it comes', async () => {
    const reader = await makeApiKey(testApp, tenant, { name: 'reader', scopes: ['keys:read'] });
    const readerHeaders = reader.headers;
    const { context, page, problems } = await openConsole(browser, testApp, reader);
    const screens = [
      { screen: 'API keys', button: 'Create API key', scope: 'api-keys:manage', route: '/api-keys' },
      { screen: 'Webhooks', button: 'Create webhook', scope: 'webhooks:manage', route: '/key/webhooks' },
      { screen: 'Audit trail', button: 'Show', scope: 'audit:read', route: '/key/audit' },
    ];
    for (const { screen, button, scope, route } of screens) {
      await openScreen(page, screen);
      await expect(page.getByRole('button', { name: button }).isDisabled()).resolves.toBe(true);
      await expect(page.getByText(`Needs the scope ${scope}`).first().isVisible()).resolves.toBe(true);
      const forbidden = await request(testApp.http).get(route).set(readerHeaders);
      expect(forbidden.status).toBe(403);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toContain(forbidden.body.message);
    }
    expect(problems).toEqual([refusedNote(403), refusedNote(403), refusedNote(403)]);
    await context.close();
  });

  it('names every control, and stays usable 390 px wide', async () => {
    const { context, page, problems } = await openConsole(browser, testApp, tenant, { width: 390, height: 844 });
    for (const [screen, name] of [
      ['API keys', 'console-api-keys'],
      ['Webhooks', 'console-webhooks'],
      ['Audit trail', 'console-audit'],
    ]) {
      await openScreen(page, screen);
      await page.getByRole('table').first().waitFor();
      await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
      // An unnamed control shows in the snapshot as its bare role.
      const snapshot = await page.locator('body').ariaSnapshot();
      expect(snapshot).not.toMatch(/^\s*- (button|textbox|combobox|checkbox|spinbutton|link)(?= \[|:|$)/m);
      await screenshot(page, name);
    }
    expect(problems).toEqual([]);
    await context.close();
  });
});
