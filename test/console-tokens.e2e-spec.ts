import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type { TenantKeyView } from '../src/tenant-keys/dto/tenant-key.view';
import { makeApiKey, openConsole, openScreen, refusedNote, screenshot, shownAt, startConsoleApp } from './support/console';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** The scheduler looks every second; the JWKS may be cached two minutes, less than the policy's pre-publication. */
const JWKS_MAX_AGE = 120;
const POLICY = { rotateEverySeconds: 3600, prePublishSeconds: 3598, retireAfterSeconds: 600 };

/** The console's screens about tokens and rotations in Debian's Chromium: timeline, JWKS, sign and token check. */
describe('/console: rotation timeline, JWKS, sign and token check', () => {
  let testApp: TestApp;
  let browser: Browser;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ testApp, browser, close } = await startConsoleApp({ LIFECYCLE_TICK_SECONDS: '1', JWKS_MAX_AGE: String(JWKS_MAX_AGE) }));
  }, 60_000);
  afterAll(() => close?.());

  const text = (page: Page, label: string) => page.getByLabel(label, { exact: true }).textContent();
  const shown = async (page: Page, content: string | RegExp) => page.getByText(content).first().waitFor();

  describe('rotation timeline', () => {
    let tenant: TestTenant;
    let chain: { retired: TenantKeyView; retiring: TenantKeyView; active: TenantKeyView; next: TenantKeyView };

    /** An alias whose first key was rotated away at once, its second rotated with a grace period, and whose third has a published successor. */
    beforeAll(async () => {
      tenant = await testApp.createTenant('timeline');
      const keys = keyClient(testApp, tenant);
      const retired = await keys.generate({ algorithm: 'ES256', name: 'login', alias: 'login', rotationPolicy: POLICY });
      const second = await keys.rotate(retired.id, { gracePeriodSeconds: 0 });
      const active = await keys.rotate(second.id, { gracePeriodSeconds: 600 });
      await keys.generate({ algorithm: 'ES256', name: 'loose' });
      const { value: next } = await eventually('the successor published', async () => {
        const rotatedTo = (await keys.get(active.id)).rotatedTo;
        return rotatedTo ? keys.get(rotatedTo) : undefined;
      });
      chain = { retired: await keys.get(retired.id), retiring: await keys.get(second.id), active: await keys.get(active.id), next };
      expect([chain.retired.status, chain.retiring.status, chain.active.status, chain.next.status]).toEqual([
        'retired',
        'retiring',
        'active',
        'next',
      ]);
    }, 30_000);

    /** The text of a step's fact, found by its term (term and definition are in pairs). */
    const factOf = async (page: Page, step: number, fact: string) => {
      const item = page.getByRole('list', { name: 'Rotation timeline for login' }).getByRole('listitem').nth(step);
      const terms = await item.getByRole('term').allTextContents();
      expect(terms).toContain(fact);
      return item.getByRole('definition').nth(terms.indexOf(fact)).textContent();
    };

    it("lists an alias's keys next to retired with the API's dates, and when the successor is safe to activate", async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'Rotation timeline');
      const steps = page.getByRole('list', { name: 'Rotation timeline for login' }).getByRole('listitem');
      await steps.first().waitFor();
      await expect(steps.allTextContents()).resolves.toEqual([
        expect.stringMatching(new RegExp(`^next.*${chain.next.kid}`)),
        expect.stringMatching(new RegExp(`^active.*${chain.active.kid}`)),
        expect.stringMatching(new RegExp(`^retiring.*${chain.retiring.kid}`)),
        expect.stringMatching(new RegExp(`^retired.*${chain.retired.kid}`)),
      ]);
      await expect(factOf(page, 0, 'Activates')).resolves.toContain(shownAt(chain.next.activatesAt));
      const safeAt = new Date(Date.parse(chain.next.createdAt) + JWKS_MAX_AGE * 1000).toISOString();
      await expect(factOf(page, 0, 'Safe to activate')).resolves.toContain(shownAt(safeAt));
      await expect(steps.first().textContent()).resolves.toContain('(it activates later, fine)');
      await expect(factOf(page, 1, 'Next rotation')).resolves.toContain(shownAt(chain.active.nextRotationAt));
      await expect(steps.nth(1).textContent()).resolves.toContain('every 1 h (3600 s), successor published 59 min 58 s (3598 s) before');
      await expect(factOf(page, 2, 'Retires')).resolves.toContain(shownAt(chain.retiring.retireAt));
      await expect(factOf(page, 3, 'Retired')).resolves.toContain(shownAt(chain.retired.retireAt));
      // The policy published it long enough before: no warning. The key without an alias is counted, not listed.
      await expect(page.getByText('activates before every verifier has refreshed').count()).resolves.toBe(0);
      await shown(page, '1 key is in no alias');
      await screenshot(page, 'console-rotation');
      expect(problems).toEqual([]);
      await context.close();
    });

    it('warns when the successor activates before every verifier has refreshed (JWKS_MAX_AGE raised after it was published)', async () => {
      const longer = await startTestApp({ JWKS_MAX_AGE: '7200' }, testApp);
      try {
        await longer.app.listen(0, '127.0.0.1');
        const { context, page, problems } = await openConsole(browser, longer, tenant);
        await openScreen(page, 'Rotation timeline');
        await shown(page, 'Warning: activates before every verifier has refreshed its JWKS.');
        const safeAt = new Date(Date.parse(chain.next.createdAt) + 7200 * 1000).toISOString();
        await expect(factOf(page, 0, 'Safe to activate')).resolves.toContain(shownAt(safeAt));
        await expect(page.getByRole('list', { name: 'Rotation timeline for login' }).getByRole('listitem').first().textContent()).resolves.toContain(
          '(it activates earlier)',
        );
        expect(problems).toEqual([]);
        await context.close();
      } finally {
        await longer.close();
      }
    });
  });

  describe('JWKS, sign and token check', () => {
    let tenant: TestTenant;
    let signer: TenantKeyView;
    let other: TenantKeyView;

    beforeAll(async () => {
      tenant = await testApp.createTenant('tokens');
      signer = await keyClient(testApp, tenant).generate({ algorithm: 'ES256', name: 'signer', alias: 'api' });
      other = await keyClient(testApp, tenant).generate({ algorithm: 'RS256', name: 'other' });
    });

    it('shows the JWKS exactly as a verifier gets it: URL, status, Cache-Control, ETag and the body', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'JWKS');
      const json = page.getByLabel('JWKS JSON');
      await json.waitFor();
      const path = `/tenants/${tenant.tenantId}/.well-known/jwks.json`;
      const served = await request(testApp.http).get(path).expect(200);
      const facts = await page.getByRole('definition').allTextContents();
      expect(facts.slice(0, 4)).toEqual([expect.stringContaining(`${path}`), '200', served.headers['cache-control'], served.headers.etag]);
      expect(JSON.parse((await json.textContent())!)).toEqual(served.body);
      const kids = await page.getByRole('list', { name: 'Key ids (kid)' }).getByRole('listitem').allTextContents();
      expect(kids.sort()).toEqual([signer.kid, other.kid].sort());
      await page.getByRole('button', { name: 'Copy JSON' }).click();
      await expect(page.evaluate('navigator.clipboard.readText()').then((copied) => JSON.parse(copied as string))).resolves.toEqual(served.body);
      await expect(page.getByLabel('curl for GET /tenants/{tenantId}/.well-known/jwks.json').textContent()).resolves.not.toContain('Authorization');
      expect(problems).toEqual([]);
      await context.close();
    });

    it('signs with the chosen key, the token verifying against the JWKS, and "Check this token" finds it valid', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'Sign');
      await page.getByLabel('Key', { exact: true }).selectOption({ label: 'signer (alias api) · ES256' });
      await page.getByLabel('Claims').fill('{"sub": "alice", "aud": "console-test", "role": ["admin"]}');
      await page.getByLabel('Lifetime (seconds)').fill('600');
      await page.getByRole('button', { name: 'Sign', exact: true }).click();
      const token = (await page.getByLabel('Signed token').textContent())!;
      const { payload, protectedHeader } = await jwtVerify(
        token,
        createLocalJWKSet((await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`)).body),
        {
          audience: 'console-test',
        },
      );
      expect(protectedHeader.kid).toBe(signer.kid);
      expect(payload).toMatchObject({ sub: 'alice', aud: 'console-test', role: ['admin'] });
      expect(payload.exp! - payload.iat!).toBe(600);
      await expect(page.getByLabel(`curl for POST /key/{id}/sign`).textContent()).resolves.toContain(`/key/${signer.id}/sign`);

      await page.getByRole('button', { name: 'Check this token' }).click();
      await page.getByRole('heading', { name: 'Token check' }).waitFor();
      await expect(page.getByLabel('Token', { exact: true }).inputValue()).resolves.toBe(token);
      expect(page.url()).not.toContain(token.slice(-20));
      await expect(text(page, 'Decoded claims').then((claims) => JSON.parse(claims!))).resolves.toEqual(payload);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      await expect(page.getByRole('region', { name: 'Verdict' }).textContent()).resolves.toContain(
        `Valid: verified by key ${signer.id} (kid ${signer.kid})`,
      );
      expect(problems).toEqual([]);
      await context.close();
    });

    it('signs by alias', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'Sign');
      await page.getByLabel(/^Or an alias/).fill('api');
      await page.getByRole('button', { name: 'Sign', exact: true }).click();
      const token = (await page.getByLabel('Signed token').textContent())!;
      expect(decodeProtectedHeader(token).kid).toBe(signer.kid);
      await expect(page.getByLabel('curl for POST /key/alias/{alias}/sign').textContent()).resolves.toContain('/key/alias/api/sign');
      expect(problems).toEqual([]);
      await context.close();
    });

    it("shows the service's reason for a tampered token, and says a malformed one is no JWT without asking the service", async () => {
      const token = await keyClient(testApp, tenant).sign(signer, { payload: { sub: 'bob' } });
      const at = token.length - 10;
      const tampered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      const refused = await request(testApp.http).post('/key/verify').set(tenant.headers).send({ token: tampered });
      expectEnvelope(refused, 400);

      const { context, page, problems } = await openConsole(browser, testApp, tenant);
      await openScreen(page, 'Token check');
      await page.getByLabel('Token', { exact: true }).fill(tampered);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      const verdict = page.getByRole('region', { name: 'Verdict' });
      await verdict.getByRole('alert').waitFor();
      await expect(verdict.getByRole('alert').textContent()).resolves.toBe(`${refused.body.code} ${refused.body.message}`);
      await expect(verdict.textContent()).resolves.toContain('Not valid');

      const verifyCalls: string[] = [];
      page.on('request', (sent) => sent.url().includes('/key/verify') && verifyCalls.push(sent.url()));
      await page.getByLabel('Token', { exact: true }).fill('eyJhbGciOiJFUzI1NiJ9.not base64!.c2ln');
      await shown(page, 'Not a JWT: The claims are not base64url.');
      await page.getByLabel('Token', { exact: true }).fill('only.two');
      await shown(page, 'Not a JWT: A JWT has 3 parts separated by dots; this has 2.');
      expect(verifyCalls).toEqual([]);
      await expect(page.getByRole('region', { name: 'Verdict' }).count()).resolves.toBe(0);
      // Chromium logs every 4xx answer to a fetch; the refusal asked for is the only one.
      expect(problems).toEqual([refusedNote(400)]);
      await context.close();
    });

    it('greys out Sign for a key the API key may not sign with, with the reason', async () => {
      const limited = await makeApiKey(testApp, tenant, { name: 'limited', scopes: ['keys:read', 'keys:sign'], signKeys: [other.id] });
      const { context, page, problems } = await openConsole(browser, testApp, limited);
      await openScreen(page, 'Sign');
      const sign = page.getByRole('button', { name: 'Sign', exact: true });
      await page.getByLabel('Key', { exact: true }).selectOption({ label: 'signer (alias api) · ES256' });
      await expect(sign.isDisabled()).resolves.toBe(true);
      await shown(page, 'This API key may not sign with this key');
      await page.getByLabel('Key', { exact: true }).selectOption({ label: 'other · RS256' });
      await expect(sign.isEnabled()).resolves.toBe(true);
      expect(problems).toEqual([]);
      await context.close();
    });

    it('greys out Check for a keys:read-only key, and still decodes the token in the page; Sign too', async () => {
      const reader = await makeApiKey(testApp, tenant, { name: 'reader', scopes: ['keys:read'] });
      const token = await keyClient(testApp, tenant).sign(signer, { payload: { sub: 'carol' } });
      const { context, page, problems } = await openConsole(browser, testApp, reader);
      await openScreen(page, 'Token check');
      await page.getByLabel('Token', { exact: true }).fill(token);
      await expect(page.getByRole('button', { name: 'Check', exact: true }).isDisabled()).resolves.toBe(true);
      await shown(page, 'Needs the scope keys:verify');
      await expect(text(page, 'Decoded claims')).resolves.toContain('"sub": "carol"');
      await openScreen(page, 'Sign');
      await page.getByRole('option', { name: 'signer (alias api) · ES256' }).waitFor({ state: 'attached' });
      await expect(page.getByRole('button', { name: 'Sign', exact: true }).isDisabled()).resolves.toBe(true);
      await shown(page, 'Needs the scope keys:sign');
      expect(problems).toEqual([]);
      await context.close();
    });

    it('stays usable 390 px wide', async () => {
      const { context, page, problems } = await openConsole(browser, testApp, tenant, { width: 390, height: 844 });
      const token = await keyClient(testApp, tenant).sign(signer, { payload: { sub: 'dave' } });
      const screens: [string, (page: Page) => Promise<void>][] = [
        ['Rotation timeline', (page) => page.getByRole('list', { name: 'Rotation timeline for api' }).waitFor()],
        ['JWKS', (page) => page.getByLabel('JWKS JSON').waitFor()],
        ['Sign', (page) => page.getByRole('option', { name: 'signer (alias api) · ES256' }).waitFor({ state: 'attached' })],
        ['Token check', (page) => page.getByLabel('Token', { exact: true }).fill(token)],
      ];
      for (const [screen, shownIn] of screens) {
        await openScreen(page, screen);
        await shownIn(page);
        await expect(page.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
      }
      await expect(text(page, 'Decoded claims')).resolves.toContain('"sub": "dave"');
      expect(problems).toEqual([]);
      await context.close();
    });
  });
});
