import { createPublicKey, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, exportSPKI, importJWK, importSPKI, type JWK } from 'jose';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { makeApiKey, openConsole, refusedNote, screenshot, startConsoleApp } from './support/console';
import { eventually } from './support/eventually';
import type { TestApp, TestTenant } from './support/test-app';

interface KeyView {
  id: string;
  name: string;
  kid: string;
  alias: string | null;
  status: string;
  publicKey: string | null;
  jwk: JWK | null;
  certificate: string | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
}

/** The console's key page (#/keys/<id>) in Debian's Chromium; what it shows and does is checked against the API. */
describe('/console key page', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ testApp, browser, close } = await startConsoleApp());
    tenant = await testApp.createTenant('console-key-page');
  }, 60_000);
  afterAll(() => close?.());

  const generate = async (body: Record<string, unknown>): Promise<KeyView> => {
    const answer = await request(testApp.http).post('/key/generate').set(tenant.headers).send(body).expect(200);
    return answer.body.data as KeyView;
  };
  const getKey = async (id: string): Promise<KeyView> =>
    (await request(testApp.http).get(`/key/${id}`).set(tenant.headers).expect(200)).body.data as KeyView;

  /** Opens the key's page by its address, as a link from the keys list does, and waits for its heading. */
  const openKey = async (page: Page, key: { id: string; name: string }) => {
    await page.evaluate(`location.hash = ${JSON.stringify(`#/keys/${key.id}`)}`);
    await page.getByRole('heading', { level: 1, name: `Key ${key.name}` }).waitFor();
  };
  /** The value of one of the key's facts, by its term. */
  const fact = (page: Page, term: string) => page.getByLabel('Key facts').getByRole('definition').nth(FACTS.indexOf(term));
  const FACTS = ['Name', 'Alias', 'Key id', 'kid', 'Algorithm', 'Custody', 'Status'];

  it('copies the public key as PEM and as JWK exactly as the API answers them, and the PEM imports to the same key', async () => {
    // As GET /key/:id answers it, which is what the page shows (the generate answer orders the JWK's members otherwise).
    const key = await getKey((await generate({ name: 'copy-me', algorithm: 'ES256', certificate: true })).id);
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    await expect(fact(page, 'kid').textContent()).resolves.toBe(key.kid);

    await page.getByRole('button', { name: 'Copy PEM' }).click();
    await page.getByText('Copied').first().waitFor();
    const pem = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(pem).toBe(key.publicKey);
    // A second implementation reads the copied PEM as the same key the API publishes.
    const imported = await exportJWK(await importSPKI(pem, 'ES256'));
    expect(await calculateJwkThumbprint(imported)).toBe(key.kid);
    expect(createPublicKey(pem).export({ format: 'jwk' })).toMatchObject({ x: key.jwk?.x, y: key.jwk?.y, crv: 'P-256' });

    await page.getByRole('button', { name: 'Copy JWK' }).click();
    await eventually('the JWK in the clipboard', async () => (await page.evaluate('navigator.clipboard.readText()')) !== pem);
    const jwk = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(jwk).toBe(JSON.stringify(key.jwk, null, 2));
    expect(JSON.parse(jwk)).toEqual(key.jwk);
    const fromJwk = await exportSPKI((await importJWK(JSON.parse(jwk) as JWK, 'ES256')) as Parameters<typeof exportSPKI>[0]);
    expect(fromJwk.trim()).toBe(pem.trim());

    await page.getByRole('button', { name: 'Copy certificate' }).click();
    await eventually('the certificate in the clipboard', async () => (await page.evaluate('navigator.clipboard.readText()')) === key.certificate);
    await screenshot(page, 'console-key-page');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says an HMAC key has no public key, and offers nothing to copy', async () => {
    const key = await generate({ name: 'shared-secret', algorithm: 'HS256' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    await page.getByText('An HMAC key has no public key').waitFor();
    await expect(page.getByRole('button', { name: /^Copy (PEM|JWK)$/ }).count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the signing and rotation policies in words', async () => {
    const key = await generate({
      name: 'with-policies',
      algorithm: 'ES256',
      signingPolicy: {
        allowedAudiences: ['api', 'web'],
        requiredClaims: ['sub'],
        maxExpiresInSeconds: 3600,
        fixedIssuer: 'https://auth.example.com',
      },
      rotationPolicy: { rotateEverySeconds: 30 * 86_400, prePublishSeconds: 86_400, retireAfterSeconds: 2 * 86_400 + 3_600 },
    });
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    const signing = page.getByLabel('Signing policy');
    await expect(signing.getByRole('definition').allTextContents()).resolves.toEqual([
      'api, web',
      'sub',
      'none',
      '1 h (3600 s)',
      'https://auth.example.com',
    ]);
    await expect(page.getByLabel('Rotation policy').getByRole('definition').allTextContents()).resolves.toEqual([
      '30 d (2592000 s)',
      '1 d (86400 s) before it takes over',
      '2 d 1 h (176400 s) after it stops signing',
    ]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('renames the key, sets and clears its alias, and the API shows each change', async () => {
    const key = await generate({ name: 'before', algorithm: 'ES256' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    const rename = page.getByRole('form', { name: 'Rename the key' });
    await rename.getByLabel('Name', { exact: true }).fill('after');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { level: 1, name: 'Key after' }).waitFor();
    expect((await getKey(key.id)).name).toBe('after');
    await expect(rename.getByRole('status').filter({ hasText: 'Key updated' }).count()).resolves.toBe(1);

    const alias = page.getByRole('form', { name: 'Set or clear the alias' });
    await alias.getByLabel('Alias', { exact: true }).fill('login-tokens');
    await alias.getByRole('button', { name: 'Set alias' }).click();
    await expect(fact(page, 'Alias').filter({ hasText: 'login-tokens' }).waitFor()).resolves.toBeUndefined();
    expect((await getKey(key.id)).alias).toBe('login-tokens');

    await alias.getByRole('button', { name: 'Clear alias' }).click();
    await fact(page, 'Alias')
      .filter({ hasText: /^none$/ })
      .waitFor();
    expect((await getKey(key.id)).alias).toBeNull();
    expect(await alias.getByLabel('curl for PUT /key/{id}').textContent()).toContain('"alias":null');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('rotates the key; the successor exists and is linked in "Used by", and its page links back', async () => {
    const key = await generate({ name: 'rotating', algorithm: 'ES256', alias: 'rotating' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    await page.getByRole('form', { name: 'Rotate the key' }).getByRole('button', { name: 'Rotate' }).click();
    const { value: successorId } = await eventually('the successor', async () => (await getKey(key.id)).rotatedTo ?? undefined);
    const successor = await getKey(successorId);
    expect(successor.rotatedFrom).toBe(key.id);
    const chain = page.getByRole('list', { name: 'Rotation chain' });
    await chain.getByRole('link', { name: successor.kid }).click();
    await page.getByRole('heading', { level: 1, name: `Key ${successor.name}` }).waitFor();
    await fact(page, 'kid').filter({ hasText: successor.kid }).waitFor();
    // The chain loads after the key: wait for the link back rather than count at once.
    await chain.getByRole('link', { name: key.kid }).waitFor();
    await expect(chain.getByRole('link', { name: key.kid }).count()).resolves.toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('schedules the deletion only once the exact kid is typed, then cancels it', async () => {
    const key = await generate({ name: 'doomed', algorithm: 'ES256' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    const schedule = page.getByRole('button', { name: 'Schedule deletion' });
    const confirm = page.getByLabel('Type the kid to confirm');
    await expect(schedule.isDisabled()).resolves.toBe(true);
    await confirm.fill(key.kid.slice(0, -1));
    await expect(schedule.isDisabled()).resolves.toBe(true);
    await confirm.fill(`${key.kid} `);
    await expect(schedule.isDisabled()).resolves.toBe(true);
    await confirm.fill(key.kid);
    await expect(schedule.isEnabled()).resolves.toBe(true);
    await schedule.click();
    await fact(page, 'Status').filter({ hasText: 'pending_deletion' }).waitFor();
    expect((await getKey(key.id)).status).toBe('pending_deletion');

    await page.getByRole('button', { name: 'Cancel deletion' }).click();
    await fact(page, 'Status')
      .filter({ hasText: /^active$/ })
      .waitFor();
    expect((await getKey(key.id)).status).toBe('active');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the API keys limited to the key (by id or alias) and the webhooks told about keys', async () => {
    const key = await generate({ name: 'used', algorithm: 'ES256', alias: 'used-key' });
    const apiKey = (name: string, signKeys: string[]) => makeApiKey(testApp, tenant, { name, scopes: ['keys:sign'], signKeys });
    await apiKey('by-id', [key.id]);
    await apiKey('by-alias', ['used-key']);
    await apiKey('elsewhere', [randomUUID()]);
    const webhook = async (url: string, events: string[]) => {
      const made = await request(testApp.http).post('/key/webhooks').set(tenant.headers).send({ url, events }).expect(200);
      testApp.trackSecret(made.body.data.secret);
    };
    await webhook('https://93.184.216.34/keys-hook', ['key.deleted']);
    await webhook('https://93.184.216.34/api-keys-hook', ['api_key.revoked']);

    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKey(page, key);
    const apiKeys = page.getByRole('table', { name: 'API keys limited to this key' });
    await apiKeys.waitFor();
    await expect(apiKeys.getByRole('cell', { name: 'by-id', exact: true }).count()).resolves.toBe(1);
    await expect(apiKeys.getByRole('cell', { name: 'by-alias', exact: true }).count()).resolves.toBe(1);
    await expect(apiKeys.getByRole('cell', { name: 'elsewhere', exact: true }).count()).resolves.toBe(0);
    const webhooks = page.getByRole('table', { name: 'Webhooks told about keys' });
    await expect(webhooks.getByText('https://93.184.216.34/keys-hook').count()).resolves.toBe(1);
    await expect(webhooks.getByText('https://93.184.216.34/api-keys-hook').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("lists the key's audit history newest first, a page at a time", async () => {
    const key = await generate({ name: 'audited-0', algorithm: 'ES256' });
    // 21 renames and the generation: two pages of 20.
    for (let i = 1; i <= 21; i++)
      await request(testApp.http)
        .put(`/key/${key.id}`)
        .set(tenant.headers)
        .send({ name: `audited-${i}` })
        .expect(200);
    const { context, page, problems } = await openConsole(browser, testApp, { tenantId: tenant.tenantId, apiKey: tenant.apiKey });
    await openKey(page, { id: key.id, name: 'audited-21' });
    const rows = page.getByRole('table', { name: 'Audit history' }).getByRole('row');
    await eventually('the first page', async () => (await rows.count()) === 21 || undefined);
    await expect(rows.nth(1).textContent()).resolves.toContain('key.rename');
    await expect(rows.nth(1).textContent()).resolves.toContain('"name":"audited-21"');
    await expect(rows.nth(20).textContent()).resolves.toContain('"name":"audited-2"');
    await page.getByRole('button', { name: 'Next page' }).click();
    await eventually('the second page', async () => (await rows.count()) === 3 || undefined);
    await expect(rows.nth(1).textContent()).resolves.toContain('"name":"audited-1"');
    await expect(rows.nth(2).textContent()).resolves.toContain('key.generate');
    await expect(page.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'First page' }).click();
    await eventually('the first page again', async () => (await rows.count()) === 21 || undefined);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('greys out every action with its reason for a keys:read-only key, and says what the lists need', async () => {
    const key = await generate({ name: 'read-only-view', algorithm: 'ES256' });
    const reader = await makeApiKey(testApp, tenant, { name: 'reader', scopes: ['keys:read'] });
    const { context, page, problems } = await openConsole(browser, testApp, reader);
    await openKey(page, key);
    await expect(page.getByLabel('Type the kid to confirm').isDisabled()).resolves.toBe(true);
    for (const name of ['Rename', 'Set alias', 'Clear alias', 'Rotate', 'Schedule deletion']) {
      await expect(page.getByRole('button', { name, exact: true }).isDisabled()).resolves.toBe(true);
    }
    await expect(page.getByText('Needs the scope keys:write').count()).resolves.toBe(4);
    await expect(page.getByText('Needs the scope api-keys:manage').count()).resolves.toBe(1);
    await expect(page.getByText('Needs the scope webhooks:manage').count()).resolves.toBe(1);
    await expect(page.getByText('Needs the scope audit:read').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Copy PEM' }).isEnabled()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows an action's refusal as the API words it: a key limited by signKeys may not set an alias", async () => {
    const key = await generate({ name: 'guarded', algorithm: 'ES256' });
    const limited = await makeApiKey(testApp, tenant, { name: 'limited-writer', scopes: ['keys:read', 'keys:write'], signKeys: [key.id] });
    const expected = await request(testApp.http).put(`/key/${key.id}`).set(limited.headers).send({ alias: 'taken-over' }).expect(403);
    const { context, page, problems } = await openConsole(browser, testApp, limited);
    await openKey(page, key);
    const alias = page.getByRole('form', { name: 'Set or clear the alias' });
    await alias.getByLabel('Alias', { exact: true }).fill('taken-over');
    await alias.getByRole('button', { name: 'Set alias' }).click();
    await expect(alias.getByRole('alert').textContent()).resolves.toBe(`${expected.body.code} ${expected.body.message}`);
    expect((await getKey(key.id)).alias).toBeNull();
    expect(problems).toEqual([refusedNote(403)]);
    await context.close();
  });

  it("shows the API's 404 message for a key that does not exist", async () => {
    const id = randomUUID();
    const expected = await request(testApp.http).get(`/key/${id}`).set(tenant.headers).expect(404);
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await page.evaluate(`location.hash = ${JSON.stringify(`#/keys/${id}`)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBe(`${expected.body.code} ${expected.body.message}`);
    // Only Chromium's own note of the 404 the test asked for.
    expect(problems).toEqual([refusedNote(404)]);
    await context.close();
  });

  it('stays usable 390 px wide', async () => {
    const key = await generate({ name: 'narrow', algorithm: 'RS256', certificate: true, alias: 'narrow' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant, { width: 390, height: 844 });
    await openKey(page, key);
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    await page.getByRole('button', { name: 'Copy PEM' }).click();
    await eventually('the PEM in the clipboard', async () => (await page.evaluate('navigator.clipboard.readText()')) === key.publicKey);
    expect(problems).toEqual([]);
    await context.close();
  });
});
