import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestApp, TestTenant } from './test-app';

export const CONSOLE_ARTIFACTS = join(__dirname, '..', 'artifacts');

/** The app's address once it listens (`await testApp.app.listen(0, '127.0.0.1')`). */
export const baseUrl = (testApp: TestApp) => `http://127.0.0.1:${(testApp.http.address() as AddressInfo).port}`;

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors (a CSP or Trusted Types violation lands here): a test expects none. */
  problems: string[];
}

/**
 * A fresh browser context (nothing shared with another test) on /console/, signed in with the tenant's (or the
 * given) API key by typing into the form, as a person would. The clipboard may be read back.
 */
export async function openConsole(
  browser: Browser,
  testApp: TestApp,
  credentials: Pick<TestTenant, 'tenantId' | 'apiKey'>,
  viewport = { width: 1280, height: 900 },
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl(testApp) });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${baseUrl(testApp)}/console/`);
  await signIn(page, credentials);
  return { context, page, problems };
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
