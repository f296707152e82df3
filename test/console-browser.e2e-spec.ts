import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { baseUrl, makeApiKey, openConsole, openScreen, openSignIn, refusedNote, signIn, startConsoleApp } from './support/console';
import { eventually } from './support/eventually';
import type { TestApp, TestTenant } from './support/test-app';

/** The console at /console in Debian's Chromium: how it is served, signing in, and where the API key lives (memory only). */
describe('/console in a real browser', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ testApp, browser, close } = await startConsoleApp());
    tenant = await testApp.createTenant('console');
  }, 60_000);
  afterAll(() => close?.());

  describe('served by the service', () => {
    it('redirects /console to /console/ and answers the page with its own strict Content-Security-Policy', async () => {
      await request(testApp.http).get('/console').expect(301).expect('location', '/console/');
      const page = await request(testApp.http)
        .get('/console/')
        .expect(200)
        .expect('content-type', /text\/html/);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(csp).not.toMatch(/unsafe-/);
      // The other security headers stay; the page revalidates, hashed assets are immutable.
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['cache-control']).toBe('no-cache');
      const assets = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]);
      expect(assets.length).toBeGreaterThanOrEqual(2);
      for (const asset of assets) {
        const answer = await request(testApp.http).get(asset).expect(200);
        expect(answer.headers['content-type']).toMatch(/javascript|css/);
        expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(answer.headers['content-security-policy']).not.toMatch(/unsafe-/);
      }
    });

    it('answers what was not built with the usual 404 envelope, and no file outside the console', async () => {
      for (const path of ['/console/assets/nope.js', '/console/../package.json', '/console/%2e%2e/package.json']) {
        const answer = await request(testApp.http).get(path).expect(404);
        expect(answer.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
      }
    });

    it('keeps the API routes on the API policy', async () => {
      const answer = await request(testApp.http).get('/health/live').expect(200);
      expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
    });
  });

  it('signs in by keyboard alone and shows who the API key is', async () => {
    const { context, page, problems } = await openSignIn(browser, testApp);
    await page.keyboard.press('Tab');
    await page.keyboard.type(tenant.tenantId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(tenant.apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await openScreen(page, 'Who am I');
    const facts = page.getByRole('definition');
    await expect(facts.filter({ hasText: tenant.tenantId }).count()).resolves.toBe(1);
    await expect(page.getByText('keys:write: held').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a least-privilege key its scopes, signing keys and expiry, and what it lacks', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const made = await makeApiKey(testApp, tenant, { name: 'console', scopes: ['keys:read', 'keys:sign'], signKeys: ['login'], expiresAt });
    const { context, page, problems } = await openConsole(browser, testApp, made);
    await openScreen(page, 'Who am I');
    await expect(page.getByText('keys:sign: held').count()).resolves.toBe(1);
    await expect(page.getByText('keys:write: not held').count()).resolves.toBe(1);
    await expect(
      page
        .getByRole('definition')
        .filter({ hasText: /^login$/ })
        .count(),
    ).resolves.toBe(1);
    await expect(page.locator(`time[datetime="${expiresAt}"]`).count()).resolves.toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the API message for a wrong key and stays on the sign-in form', async () => {
    const { context, page, problems } = await openSignIn(browser, testApp);
    await page.getByLabel('Tenant id').fill(tenant.tenantId);
    await page.getByLabel('API key').fill('ks_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const answer = await request(testApp.http)
      .get('/api-keys/current')
      .set({ ...tenant.headers, authorization: 'Basic ks_not-a-key' });
    await expect(page.getByRole('alert').textContent()).resolves.toContain(answer.body.message);
    await expect(page.getByRole('button', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    expect(problems).toEqual([refusedNote(401)]);
    await context.close();
  });

  it('keeps the API key in memory only: no storage, no cookie, and a reload asks again', async () => {
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openScreen(page, 'Keys');
    // A string: the test's own TypeScript has no DOM types.
    const stored = await page.evaluate(`(async () => ({
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
      databases: (await indexedDB.databases()).length,
      caches: (await caches.keys()).length,
    }))()`);
    expect(stored).toEqual({ local: 0, session: 0, cookie: '', databases: 0, caches: 0 });
    const state = await context.storageState();
    expect(state.cookies).toEqual([]);
    expect(state.origins).toEqual([]);
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect(page.getByLabel('API key').inputValue()).resolves.toBe('');
    await signIn(page, tenant);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs out, saying why, when the service refuses the key later (revoked)', async () => {
    const made = await makeApiKey(testApp, tenant, { name: 'short-lived', scopes: ['keys:read'] });
    const { context, page, problems } = await openConsole(browser, testApp, made);
    await openScreen(page, 'Who am I');
    await request(testApp.http).delete(`/api-keys/${made.id}`).set(tenant.headers).expect(200);
    const refused = await request(testApp.http).get('/key').set(made.headers).expect(401);
    await openScreen(page, 'Keys');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(refused.body.message);
    await expect(page.getByLabel('API key').inputValue()).resolves.toBe('');
    expect(problems).toEqual([refusedNote(401)]);
    await context.close();
  });

  it('shows the curl of what it does with the API key as $KS_API_KEY, never the key itself', async () => {
    const { context, page, problems } = await openConsole(browser, testApp, tenant);
    await openScreen(page, 'Who am I');
    const curl = await page.getByLabel('curl for GET /api-keys/current').textContent();
    expect(curl).toContain('Authorization: Basic $KS_API_KEY');
    expect(curl).toContain(`x-stencil-tenantid: ${tenant.tenantId}`);
    expect(await page.content()).not.toContain(tenant.apiKey);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('stays usable 390 px wide: no sideways scrolling, sign-in and navigation work', async () => {
    const { context, page, problems } = await openConsole(browser, testApp, tenant, { width: 390, height: 844 });
    for (const screen of ['Keys', 'Who am I']) {
      await openScreen(page, screen);
      await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  describe('by keyboard and screen reader', () => {
    /** Every screen of the navigation, the new-key form and a key's page. */
    const SCREENS = ['Keys', 'Rotation timeline', 'JWKS', 'Sign', 'Token check', 'API keys', 'Webhooks', 'Audit trail', 'Who am I'];
    let keyId: string;

    beforeAll(async () => {
      const made = await request(testApp.http)
        .post('/key/generate')
        .set(tenant.headers)
        .send({ algorithm: 'ES256', name: 'by keyboard', alias: 'kbd' });
      keyId = made.body.data.id;
    });

    /** Opens each screen in turn and hands it to `check` with its name. */
    async function eachScreen(page: Page, check: (screen: string) => Promise<void>): Promise<void> {
      for (const screen of SCREENS) {
        await openScreen(page, screen);
        // Screens load their data after they open (the timeline: the keys, then the JWKS): check them once it came.
        await page.waitForLoadState('networkidle');
        await check(screen);
      }
      await page.goto(`${baseUrl(testApp)}/console/#/keys/new`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await check('New key');
      await page.goto(`${baseUrl(testApp)}/console/#/keys/${keyId}`);
      await page.getByRole('button', { name: 'Rename' }).waitFor();
      await check('Key page');
    }

    it('names every control on every screen', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      const unnamed: string[] = [];
      await eachScreen(page, async (screen) => {
        const tree = await page.locator('body').ariaSnapshot();
        // A control with a name reads `- button "Rename"`; without one `- button`, `- textbox: its value` or `- button [disabled]`.
        for (const line of tree.split('\n')) {
          if (/^\s*- (button|textbox|combobox|checkbox|radio|link|spinbutton|listbox|table)(?=$|[ :[])(?! ")/.test(line))
            unnamed.push(`${screen}: ${line.trim()}`);
        }
      });
      expect(unnamed).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('reaches every control of every screen with the Tab key', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      const unreached: string[] = [];
      await eachScreen(page, async (screen) => {
        const controls = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled])';
        const count = await page.evaluate<number>(`document.querySelectorAll('${controls}').length`);
        await page.evaluate('document.activeElement?.blur()');
        // Tab through the page, marking what takes the focus. Some controls take several stops (a datetime-local input
        // one per field, a scrolling table box one more): tabbing past the end wraps around, so go round generously.
        for (let i = 0; i < count * 2 + 10; i++) {
          await page.keyboard.press('Tab');
          await page.evaluate(`document.activeElement?.setAttribute('data-reached', '')`);
        }
        const missed = await page.evaluate<string[]>(
          `[...document.querySelectorAll('${controls}')].filter((e) => !e.hasAttribute('data-reached')).map((e) => e.outerHTML.slice(0, 80))`,
        );
        unreached.push(...missed.map((html) => `${screen}: ${html}`));
        await page.evaluate(`document.querySelectorAll('[data-reached]').forEach((e) => e.removeAttribute('data-reached'))`);
      });
      expect(unreached).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('renames a key with the keyboard alone', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await page.goto(`${baseUrl(testApp)}/console/#/keys/${keyId}`);
      const name = page.getByRole('textbox', { name: 'Name' });
      await name.waitFor();
      const focusedLabel = () => page.evaluate(`document.activeElement?.closest('label')?.firstChild?.textContent?.trim() ?? ''`);
      for (let i = 0; i < 200 && (await focusedLabel()) !== 'Name'; i++) await page.keyboard.press('Tab');
      expect(await focusedLabel()).toBe('Name');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('renamed by keyboard');
      await page.keyboard.press('Enter');
      await eventually('the new name through the API', async () => {
        const key = await request(testApp.http).get(`/key/${keyId}`).set(tenant.headers);
        return key.body.data.name === 'renamed by keyboard';
      });
      // The renamed page keeps the focus where it was, in the form, for the next keystroke.
      await page.getByRole('heading', { level: 1, name: 'Key renamed by keyboard' }).waitFor();
      expect(await focusedLabel()).toBe('Name');
      expect(problems).toEqual([]);
      await context.close();
    });
  });
});
