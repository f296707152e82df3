import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from './support/chromium';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

const ARTIFACTS = join(__dirname, 'artifacts');

/** Swagger UI at /docs in Debian's Chromium, driven as a person would: authorize, try it out, read the answer; and a verifier page elsewhere. */
describe('/docs in a real browser', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let elsewhere: Server;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('browsing');
    await testApp.app.listen(0, '127.0.0.1');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    // A page blocked by the Content-Security-Policy, or broken, says so in the console.
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    // Another origin (its own port) that serves a blank page, as a single-page app that verifies tokens would be.
    elsewhere = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>verifier</title>'));
    await new Promise<void>((done) => elsewhere.listen(0, '127.0.0.1', done));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => elsewhere?.close(done));
    await testApp.close();
  });

  const base = () => `http://127.0.0.1:${(testApp.http.address() as AddressInfo).port}`;

  /** Opens an operation, presses "Try it out", optionally sets the body, executes, and returns the status and body shown. */
  async function tryItOut(operationId: string, body?: object): Promise<{ status: number; body: string }> {
    const operation = page.locator(`[id$="-${operationId}"]`);
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    if (body) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await operation.getByRole('button', { name: 'Execute' }).click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    const shown = operation.locator('.live-responses-table .response-col_description .highlight-code pre').first();
    return { status: Number((await status.innerText()).trim()), body: await shown.innerText() };
  }

  it('authorizes with a tenant API key, generates a key with "Try it out" and finds it in the list', async () => {
    await page.goto(`${base()}/docs`);
    await page.locator('.swagger-ui .information-container').waitFor({ timeout: 15_000 });
    expect(await page.locator('.swagger-ui .title').first().innerText()).toContain('Key service');

    // Authorize: the API key (as "Basic <key>") and the tenant id, each in its own scheme.
    await page
      .getByRole('button', { name: /Authorize/ })
      .first()
      .click();
    const dialog = page.locator('.dialog-ux');
    const scheme = (name: string) => dialog.locator('.auth-container').filter({ has: page.locator('h4', { hasText: new RegExp(`^${name}\\b`) }) });
    for (const [name, value] of [
      ['apiKey', `Basic ${tenant.apiKey}`],
      ['tenantId', tenant.tenantId],
    ]) {
      await scheme(name).locator('input').fill(value);
      await scheme(name).getByRole('button', { name: 'Apply credentials' }).click();
      await scheme(name).getByRole('button', { name: 'Remove authorization' }).waitFor();
    }
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    const generated = await tryItOut('TenantKeysController_generate', { algorithm: 'ES256', name: 'made-in-the-browser' });
    expect(generated.status).toBe(200);
    const key = JSON.parse(generated.body).data;
    expect(key).toMatchObject({ name: 'made-in-the-browser', algorithm: 'ES256', hasPrivateKey: true });

    const listed = await tryItOut('TenantKeysController_list');
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body).data).toEqual(expect.arrayContaining([expect.objectContaining({ id: key.id, name: 'made-in-the-browser' })]));

    // The browser really went through the API: the key is stored for this tenant.
    expect((await request(testApp.http).get(`/key/${key.id}`).set(tenant.headers)).body.data.name).toBe('made-in-the-browser');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'docs-try-it-out.png'), fullPage: false });
    expect(problems).toEqual([]);
  }, 60_000);

  it('a verifier page on another origin fetches the JWKS (by path and by header) and verifies a token with WebCrypto; the admin API stays closed to it', async () => {
    const generated = await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'browser-verified' });
    const key = generated.body.data;
    const signed = await request(testApp.http)
      .post(`/key/${key.id}/sign`)
      .set(tenant.headers)
      .send({ payload: { sub: 'in-the-browser' } });
    const verifier = await browser.newPage();
    await verifier.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`);
    const seen = await verifier.evaluate(
      async ({ api, tenantId, apiKey, token }) => {
        const byPath = (await (await fetch(`${api}/tenants/${tenantId}/.well-known/jwks.json`)).json()) as {
          keys: { kid: string; kty: string; crv: string; x: string; y: string }[];
        };
        // A custom header makes the browser send a preflight first.
        const byHeader = await (await fetch(`${api}/.well-known/jwks.json`, { headers: { 'x-stencil-tenantid': tenantId } })).json();
        const [header, payload, signature] = token.split('.');
        const { kid } = JSON.parse(atob(header.replace(/-/g, '+').replace(/_/g, '/')));
        const jwk = byPath.keys.find((candidate) => candidate.kid === kid)!;
        const publicKey = await crypto.subtle.importKey(
          'jwk',
          { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
          { name: 'ECDSA', namedCurve: 'P-256' },
          false,
          ['verify'],
        );
        const bytes = (base64url: string) => Uint8Array.from(atob(base64url.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0));
        const valid = await crypto.subtle.verify(
          { name: 'ECDSA', hash: 'SHA-256' },
          publicKey,
          bytes(signature),
          new TextEncoder().encode(`${header}.${payload}`),
        );
        let admin = 'answered';
        try {
          await fetch(`${api}/key`, { headers: { authorization: `Basic ${apiKey}`, 'x-stencil-tenantid': tenantId } });
        } catch (error) {
          admin = (error as Error).name;
        }
        return {
          valid,
          sameSets: JSON.stringify(byPath) === JSON.stringify(byHeader),
          sub: JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))).sub,
          admin,
        };
      },
      { api: base(), tenantId: tenant.tenantId, apiKey: tenant.apiKey, token: signed.body.data.token as string },
    );
    await verifier.close();
    expect(seen).toEqual({ valid: true, sameSets: true, sub: 'in-the-browser', admin: 'TypeError' });
  }, 60_000);
});
