import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { makeApiKey, openConsole, openScreen, refusedNote, screenshot, shownAt, startConsoleApp } from './support/console';
import type { TestApp, TestTenant } from './support/test-app';

/** The shape of a key as GET /key answers it, as far as the Keys table shows it. */
interface KeyView {
  id: string;
  name: string;
  alias: string | null;
  kid: string;
  algorithm: string;
  curve: string | null;
  length: number;
  custody: string;
  status: string;
  createdAt: string;
  nextRotationAt: string | null;
  certificateExpiresAt: string | null;
  retireAt: string | null;
  deleteAt: string | null;
}

/** The text of an error alert, built from the API's own answer: code, message, then each field's error. */
const alertText = (body: { code?: string; message: string; errors?: { field: string; message: string }[] }) =>
  `${body.code ?? ''} ${body.message}${(body.errors ?? []).map((error) => `${error.field}: ${error.message}`).join('')}`;

/** The Keys list and the New key screen of /console, in Debian's Chromium, against the API as the truth. */
describe('/console Keys and New key', () => {
  let testApp: TestApp;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ testApp, browser, close } = await startConsoleApp());
  }, 60_000);
  afterAll(() => close?.());

  const api = (tenant: TestTenant) => ({
    generate: async (body: object): Promise<KeyView> =>
      (await request(testApp.http).post('/key/generate').set(tenant.headers).send(body).expect(200)).body.data,
    list: async (): Promise<KeyView[]> => (await request(testApp.http).get('/key').set(tenant.headers).expect(200)).body.data,
  });

  const keysTable = (page: Page) => page.getByRole('table', { name: 'Keys' });
  /** The table's body rows (the header row is in its own row group). */
  const bodyRows = (page: Page) => keysTable(page).getByRole('rowgroup').nth(1).getByRole('row');

  async function openKeys(page: Page): Promise<void> {
    await openScreen(page, 'Keys');
    await keysTable(page).waitFor();
  }

  /** The kids of the rows shown (rows with a key: each has a link to its page), sorted. */
  async function kidsShown(page: Page): Promise<string[]> {
    const rows = await bodyRows(page)
      .filter({ has: page.getByRole('link') })
      .all();
    return (await Promise.all(rows.map((row) => row.getByRole('cell').nth(2).textContent()))).map(String).sort();
  }

  /** Chooses a filter's value and waits for the count the page says it shows. */
  async function filter(page: Page, label: 'Status' | 'Algorithm', value: string, says: string): Promise<void> {
    await page.getByLabel(label, { exact: true }).selectOption(value);
    await page.getByText(says, { exact: true }).waitFor();
  }

  it('shows every key as GET /key answers it, the kid in full, and narrows the rows by status and algorithm', async () => {
    const tenant = await testApp.createTenant('console-keys-columns');
    const keys = api(tenant);
    await keys.generate({ name: 'login', algorithm: 'ES256' });
    const rsa = await keys.generate({
      name: 'api tokens',
      algorithm: 'RS256',
      alias: 'api-tokens',
      certificate: true,
      rotationPolicy: { rotateEverySeconds: 30 * 86_400, prePublishSeconds: 86_400, retireAfterSeconds: 86_400 },
    });
    await request(testApp.http).post(`/key/${rsa.id}/rotate`).set(tenant.headers).send({ gracePeriodSeconds: 86_400 }).expect(200);
    const secret = randomBytes(32).toString('base64url');
    testApp.trackSecret(secret);
    await request(testApp.http).post('/key/import').set(tenant.headers).send({ name: 'webhooks hmac', secret }).expect(200);
    const leaving = await keys.generate({ name: 'old partner', algorithm: 'EdDSA' });
    await request(testApp.http).post(`/key/${leaving.id}/schedule-deletion`).set(tenant.headers).send({}).expect(200);
    const listed = await keys.list();
    expect(listed.map((key) => key.status).sort()).toEqual(['active', 'active', 'active', 'pending_deletion', 'retiring']);

    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKeys(page);
    await expect(bodyRows(page).count()).resolves.toBe(listed.length);
    for (const key of listed) {
      const row = bodyRows(page).filter({ hasText: key.kid });
      const cells = await row.getByRole('cell').allTextContents();
      expect(cells.slice(0, 5)).toEqual([key.name, key.alias ?? '–', key.kid, `${key.algorithm} ${key.curve ?? `${key.length} bits`}`, key.custody]);
      const leaves =
        key.status === 'retiring' ? `retires ${shownAt(key.retireAt)}` : key.status === 'pending_deletion' ? `deleted ${shownAt(key.deleteAt)}` : '';
      expect(cells.slice(5)).toEqual([
        `${key.status}${leaves}`,
        shownAt(key.createdAt),
        shownAt(key.nextRotationAt),
        shownAt(key.certificateExpiresAt),
      ]);
      await expect(row.getByRole('link', { name: key.name, exact: true }).getAttribute('href')).resolves.toBe(`#/keys/${key.id}`);
    }
    // The rotated RSA key: its successor holds the alias, a rotation date and a certificate.
    const successor = listed.find((key) => key.algorithm === 'RS256' && key.status === 'active')!;
    expect(successor).toMatchObject({ alias: 'api-tokens', nextRotationAt: expect.any(String), certificateExpiresAt: expect.any(String) });
    // The kid wraps inside its cell: nothing of it is cut off.
    await expect(
      page.evaluate(`[...document.querySelectorAll('table[aria-label="Keys"] td.kid')].every((cell) => cell.scrollWidth <= cell.clientWidth)`),
    ).resolves.toBe(true);
    const curl = await page.getByLabel('curl for GET /key', { exact: true }).textContent();
    expect(curl).toContain(`/key'`);
    expect(curl).toContain('Authorization: Basic $KS_API_KEY');
    await screenshot(page, 'console-keys');

    const kidsOf = (match: (key: KeyView) => boolean) =>
      listed
        .filter(match)
        .map((key) => key.kid)
        .sort();
    const all = listed.length;
    await filter(page, 'Status', 'pending_deletion', `1 of ${all} keys match the filters`);
    await expect(kidsShown(page)).resolves.toEqual(kidsOf((key) => key.status === 'pending_deletion'));
    await filter(page, 'Status', '', `${all} keys`);
    await filter(page, 'Algorithm', 'RS256', `2 of ${all} keys match the filters`);
    await expect(kidsShown(page)).resolves.toEqual(kidsOf((key) => key.algorithm === 'RS256'));
    await filter(page, 'Status', 'retiring', `1 of ${all} keys match the filters`);
    await expect(kidsShown(page)).resolves.toEqual([rsa.kid]);
    await filter(page, 'Algorithm', 'PS256', `0 of ${all} keys match the filters`);
    await page.getByText('No key matches these filters.').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says so when the tenant has no keys', async () => {
    const tenant = await testApp.createTenant('console-keys-empty');
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openScreen(page, 'Keys');
    await page.getByText('This tenant has no keys yet.').waitFor();
    await expect(keysTable(page).count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('generates a key that the API holds, whose JWK in the JWKS verifies a token the API signs; a taken alias shows the API 409', async () => {
    const tenant = await testApp.createTenant('console-keys-generate');
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openScreen(page, 'Keys');
    await page.getByText('This tenant has no keys yet.').waitFor();
    await page.getByRole('link', { name: 'New key', exact: true }).click();
    await page.getByRole('heading', { name: 'New key', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Generate' });
    await form.getByLabel('Name', { exact: true }).fill('console made');
    await form.getByLabel('Algorithm', { exact: true }).selectOption('RS256');
    await form.getByLabel('RSA length (bits)').selectOption('3072');
    await form.getByLabel('Alias (optional)').fill('console-alias');
    await form.getByLabel('Issuer (optional)').fill('https://issuer.example');
    await form.getByLabel('Rotate on a schedule').check();
    await form.getByLabel('Rotate every (seconds)').fill('7776000');
    const generated = page.getByRole('region', { name: 'Generate a key' });
    await expect(generated.getByLabel(/^curl for POST/).textContent()).resolves.toContain(
      JSON.stringify({
        name: 'console made',
        alias: 'console-alias',
        issuer: 'https://issuer.example',
        algorithm: 'RS256',
        length: 3072,
        rotationPolicy: { rotateEverySeconds: 7_776_000, prePublishSeconds: 86_400, retireAfterSeconds: 86_400 },
      }),
    );
    await form.getByRole('button', { name: 'Generate' }).click();
    await generated.getByRole('status').filter({ hasText: 'Key generated' }).waitFor();
    const link = generated.getByRole('link', { name: 'Open console made' });
    const id = (await link.getAttribute('href'))!.replace('#/keys/', '');
    const kid = await generated.getByLabel('kid of the new key').textContent();

    const key = (await request(testApp.http).get(`/key/${id}`).set(tenant.headers).expect(200)).body.data;
    expect(key).toMatchObject({
      name: 'console made',
      algorithm: 'RS256',
      length: 3072,
      alias: 'console-alias',
      issuer: 'https://issuer.example',
      kid,
      rotationPolicy: { rotateEverySeconds: 7_776_000, prePublishSeconds: 86_400, retireAfterSeconds: 86_400 },
    });
    expect(Math.abs(Date.parse(key.nextRotationAt) - Date.parse(key.createdAt) - 7_776_000_000)).toBeLessThan(60_000);
    const jwks = (await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`).expect(200)).body;
    expect(jwks.keys.map((jwk: { kid: string }) => jwk.kid)).toEqual([kid]);
    const { token } = (
      await request(testApp.http)
        .post(`/key/${id}/sign`)
        .set(tenant.headers)
        .send({ payload: { sub: 'console' } })
        .expect(200)
    ).body.data;
    const verified = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'], issuer: 'https://issuer.example' });
    expect(verified.protectedHeader.kid).toBe(kid);
    expect(verified.payload.sub).toBe('console');

    await link.click();
    await expect(page.evaluate('location.hash')).resolves.toBe(`#/keys/${id}`);

    // Back on a fresh form, a second key with the same alias: the API's 409, as it answers the same body.
    await page.goBack();
    await page.getByRole('heading', { name: 'New key', level: 1 }).waitFor();
    await form.getByLabel('Name', { exact: true }).fill('second');
    await form.getByLabel('Alias (optional)').fill('console-alias');
    await form.getByRole('button', { name: 'Generate' }).click();
    const taken = await request(testApp.http)
      .post('/key/generate')
      .set(tenant.headers)
      .send({ name: 'second', alias: 'console-alias', algorithm: 'ES256' })
      .expect(409);
    await generated
      .getByRole('alert')
      .filter({ hasText: alertText(taken.body) })
      .waitFor();
    await expect(generated.getByRole('alert').textContent()).resolves.toBe(alertText(taken.body));
    await expect(generated.getByRole('link', { name: /^Open / }).count()).resolves.toBe(0);
    expect(problems).toEqual([refusedNote(409)]);
    await context.close();
  });

  it('shows the API error of a bad PEM, a bad JWK and a short HMAC secret as the API answers it; invalid JSON is caught before any call', async () => {
    const tenant = await testApp.createTenant('console-keys-import');
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    let importCalls = 0;
    page.on('request', (sent) => void (new URL(sent.url()).pathname === '/key/import' && importCalls++));
    await page.goto(`${page.url().replace(/#.*$/, '')}#/keys/new`);
    await page.getByRole('heading', { name: 'New key', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Import' });
    const region = page.getByRole('region', { name: 'Import a key' });
    const shortSecret = randomBytes(16).toString('base64url');
    testApp.trackSecret(shortSecret);
    const cases: [string, string, Record<string, unknown>, (value: string) => Promise<void>][] = [
      [
        'bad pem',
        'pem',
        { publicKey: '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n' },
        (value) => form.getByLabel('Public key (PEM)').fill(value),
      ],
      ['bad jwk', 'jwk', { jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } }, (value) => form.getByLabel('JWK (JSON)').fill(value)],
      ['short secret', 'secret', { secret: shortSecret }, (value) => form.getByLabel('HMAC secret (base64url)').fill(value)],
    ];
    for (const [name, format, material, type] of cases) {
      const body = { name, ...material };
      const expected = await request(testApp.http).post('/key/import').set(tenant.headers).send(body).expect(400);
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Key format').selectOption(format);
      const [value] = Object.values(material);
      await type(typeof value === 'string' ? value : JSON.stringify(value));
      const calls = importCalls;
      await form.getByRole('button', { name: 'Import' }).click();
      // The alert of this answer (the previous one stays until it comes), then its whole text.
      await region
        .getByRole('alert')
        .filter({ hasText: alertText(expected.body) })
        .waitFor();
      await expect(region.getByRole('alert').textContent()).resolves.toBe(alertText(expected.body));
      expect(importCalls).toBe(calls + 1);
    }
    // The secret stays out of the curl line.
    const curl = await region.getByLabel(/^curl for POST/).textContent();
    expect(curl).toContain('"secret":"<secret>"');
    expect(curl).not.toContain(shortSecret);

    await form.getByLabel('Key format').selectOption('jwk');
    await form.getByLabel('JWK (JSON)').fill('{"kty": "EC",');
    const calls = importCalls;
    await form.getByRole('button', { name: 'Import' }).click();
    await region.getByRole('alert').filter({ hasText: 'The JWK is not valid JSON: ' }).waitFor();
    await expect(region.getByRole('alert').textContent()).resolves.toMatch(/^The JWK is not valid JSON: /);
    expect(importCalls).toBe(calls);

    // A good secret: imported, and the API holds it.
    const secret = randomBytes(32).toString('base64url');
    testApp.trackSecret(secret);
    await form.getByLabel('Name', { exact: true }).fill('imported hmac');
    await form.getByLabel('Key format').selectOption('secret');
    await form.getByLabel('HMAC secret (base64url)').fill(secret);
    await form.getByRole('button', { name: 'Import' }).click();
    await region.getByRole('status').filter({ hasText: 'Key imported' }).waitFor();
    const id = (await region.getByRole('link', { name: 'Open imported hmac' }).getAttribute('href'))!.replace('#/keys/', '');
    const key = (await request(testApp.http).get(`/key/${id}`).set(tenant.headers).expect(200)).body.data;
    expect(key).toMatchObject({ name: 'imported hmac', algorithm: 'HS256', kid: await region.getByLabel('kid of the new key').textContent() });
    // The secret leaves the form once the service holds it.
    await expect(form.getByLabel('HMAC secret (base64url)').inputValue()).resolves.toBe('');
    expect(await page.content()).not.toContain(secret);
    // Chromium logs each refused request: the three 400s above, and nothing else.
    expect(problems).toEqual(cases.map(() => refusedNote(400)));
    await context.close();
  });

  it('shows private material typed for import only as placeholders in the curl line, forgets it once imported, and keeps a chosen kid', async () => {
    const tenant = await testApp.createTenant('console-keys-private');
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await page.goto(`${page.url().replace(/#.*$/, '')}#/keys/new`);
    const form = page.getByRole('form', { name: 'Import' });
    const region = page.getByRole('region', { name: 'Import a key' });
    const curl = region.getByLabel('curl for POST /key/import');
    const pemPair = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
    const privatePem = pemPair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = (await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' })).privateKey.export({ format: 'jwk' });
    testApp.trackSecret(jwk.d!);
    const pemBody = privatePem.split('\n')[1];

    await form.getByLabel('Name', { exact: true }).fill('private pem');
    await form.getByLabel('Private key (PEM)').fill(privatePem);
    await expect(curl.textContent()).resolves.toContain('"privateKey":"<privateKey>"');
    await form.getByRole('button', { name: 'Import' }).click();
    await region.getByRole('link', { name: 'Open private pem' }).waitFor();

    await form.getByLabel('Name', { exact: true }).fill('private jwk');
    await form.getByLabel('Key format').selectOption('jwk');
    await form.getByLabel('JWK (JSON)').fill(JSON.stringify(jwk));
    // The kid it had elsewhere, kept (issue 27).
    await form.getByLabel('Kid (optional)').fill('legacy-2024');
    const shown = await curl.textContent();
    expect(shown).toContain('"kid":"legacy-2024"');
    expect(shown).toContain('"d":"<d>"');
    expect(shown).toContain(`"x":"${jwk.x}"`);
    await form.getByRole('button', { name: 'Import' }).click();
    await region.getByRole('link', { name: 'Open private jwk' }).waitFor();

    const keys = await api(tenant).list();
    expect(keys.map((key) => key.name).sort()).toEqual(['private jwk', 'private pem']);
    expect(keys.find((key) => key.name === 'private jwk')!.kid).toBe('legacy-2024');
    const content = await page.content();
    expect(content).not.toContain(pemBody);
    expect(content).not.toContain(jwk.d);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('greys out New key, Generate and Import with the reason for a keys:read-only API key', async () => {
    const tenant = await testApp.createTenant('console-keys-read-only');
    const reader = await makeApiKey(testApp, tenant, { name: 'reader', scopes: ['keys:read'] });
    const { context, page, problems } = await openConsole(browser, testApp, reader);
    await openScreen(page, 'Keys');
    await page.getByText('This tenant has no keys yet.').waitFor();
    await expect(page.getByRole('button', { name: 'New key' }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'New key' }).count()).resolves.toBe(0);
    await expect(page.getByText('Needs the scope keys:write').count()).resolves.toBe(1);
    await page.goto(`${page.url().replace(/#.*$/, '')}#/keys/new`);
    await page.getByRole('heading', { name: 'New key', level: 1 }).waitFor();
    for (const action of ['Generate', 'Import']) {
      const form = page.getByRole('form', { name: action });
      await expect(form.getByRole('button', { name: action }).isDisabled()).resolves.toBe(true);
      await expect(form.getByText('Needs the scope keys:write').count()).resolves.toBe(1);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a key name that looks like HTML as text, and runs none of it', async () => {
    const tenant = await testApp.createTenant('console-keys-xss');
    const name = '<img src=x onerror="window.__x=1">';
    await api(tenant).generate({ name, algorithm: 'ES256' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openKeys(page);
    await expect(keysTable(page).getByRole('link', { name, exact: true }).textContent()).resolves.toBe(name);
    await expect(page.evaluate('document.querySelectorAll("img").length')).resolves.toBe(0);
    await expect(page.evaluate('window.__x')).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('stays usable 390 px wide: the keys table scrolls inside its box, and a key can be generated', async () => {
    const tenant = await testApp.createTenant('console-keys-narrow');
    await api(tenant).generate({ name: 'narrow', algorithm: 'ES256', alias: 'narrow-alias' });
    const { context, page, problems } = await openConsole(browser, testApp, tenant, { width: 390, height: 844 });
    await openKeys(page);
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    const box = `document.querySelector('table[aria-label="Keys"]').parentElement`;
    await expect(page.evaluate(`${box}.scrollWidth > ${box}.clientWidth`)).resolves.toBe(true);
    await page.getByRole('link', { name: 'New key', exact: true }).click();
    await page.getByRole('heading', { name: 'New key', level: 1 }).waitFor();
    await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    const form = page.getByRole('form', { name: 'Generate' });
    await form.getByLabel('Name', { exact: true }).fill('narrow two');
    await form.getByRole('button', { name: 'Generate' }).click();
    await page.getByRole('region', { name: 'Generate a key' }).getByRole('status').filter({ hasText: 'Key generated' }).waitFor();
    await expect(api(tenant).list()).resolves.toHaveLength(2);
    expect(problems).toEqual([]);
    await context.close();
  });
});
