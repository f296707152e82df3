import { mkdirSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from './chromium';
import { startTestApp, tenantHeaders, type TestApp, type TestTenant } from './test-app';

export const CONSOLE_ARTIFACTS = join(__dirname, '..', 'artifacts');

/** The app's address once it listens (`await testApp.app.listen(0, '127.0.0.1')`). */
export const baseUrl = (testApp: TestApp) => `http://127.0.0.1:${(testApp.http.address() as AddressInfo).port}`;

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors (a CSP or Trusted Types violation lands here): a test expects none. */
  problems: string[];
}

/** The app (listening on a free port, for the browser) and Debian's Chromium, for one console spec file. */
export interface ConsoleApp {
  testApp: TestApp;
  browser: Browser;
  close: () => Promise<void>;
}

/** Starts the app with `env` on a free port and launches Chromium: a console spec's beforeAll (its afterAll: close). */
export async function startConsoleApp(env: NodeJS.ProcessEnv = {}): Promise<ConsoleApp> {
  const testApp = await startTestApp(env);
  try {
    await testApp.app.listen(0, '127.0.0.1');
    const browser = await launchChromium();
    return {
      testApp,
      browser,
      close: async () => {
        await browser.close();
        await testApp.close();
      },
    };
  } catch (error) {
    await testApp.close();
    throw error;
  }
}

/**
 * A fresh browser context (nothing shared with another test) on /console/, at the sign-in form, not signed in. The
 * clipboard may be read back.
 */
export async function openSignIn(browser: Browser, testApp: TestApp, viewport = { width: 1280, height: 900 }): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl(testApp) });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${baseUrl(testApp)}/console/`);
  return { context, page, problems };
}

/** As openSignIn, then signed in with the tenant's (or the given) API key by typing into the form, as a person would. */
export async function openConsole(
  browser: Browser,
  testApp: TestApp,
  credentials: Pick<TestTenant, 'tenantId' | 'apiKey'>,
  viewport?: { width: number; height: number },
): Promise<ConsolePage> {
  const opened = await openSignIn(browser, testApp, viewport);
  await signIn(opened.page, credentials);
  return opened;
}

/** Types the tenant id and API key into the sign-in form and waits for the console to open. */
export async function signIn(page: Page, { tenantId, apiKey }: Pick<TestTenant, 'tenantId' | 'apiKey'>): Promise<void> {
  await page.getByLabel('Tenant id').fill(tenantId);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Opens a screen of the console by its link in the navigation. */
export async function openScreen(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** A screenshot into test/artifacts (always) and, with CONSOLE_SCREENSHOTS=1, into docs/images for the README. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(CONSOLE_ARTIFACTS, `${name}.png`), fullPage: true });
  if (process.env.CONSOLE_SCREENSHOTS === '1') {
    await page.screenshot({ path: join(__dirname, '..', '..', 'docs', 'images', `${name}.png`), fullPage: false });
  }
}

/** What Chromium logs for an API refusal a test asks for (the page shows it on purpose): the only problem allowed then. */
export const refusedNote = (status: number) => `Failed to load resource: the server responded with a status of ${status} (${STATUS_CODES[status]})`;

/** A date-time as the console's <When> writes it: readable, in UTC; a dash for none. */
export const shownAt = (at: string | null | undefined) => (at ? at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '–');

/** An API key of the tenant made through the API (its secret tracked for the secret scan), with its own headers. */
export async function makeApiKey(
  testApp: TestApp,
  tenant: Pick<TestTenant, 'tenantId' | 'headers'>,
  body: { name: string; scopes: string[]; signKeys?: string[]; expiresAt?: string },
): Promise<{ id: string; tenantId: string; apiKey: string; headers: Record<string, string> }> {
  const made = await request(testApp.http).post('/api-keys').set(tenant.headers).send(body).expect(200);
  const { id, apiKey } = made.body.data as { id: string; apiKey: string };
  testApp.trackSecret(apiKey);
  return { id, tenantId: tenant.tenantId, apiKey, headers: tenantHeaders(tenant.tenantId, apiKey) };
}
