import request from 'supertest';
import { OPERATIONS } from '../console/src/operations';
import * as vocabulary from '../console/src/vocabulary';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../src/audit/audit-event.entity';
import { API_KEY_SCOPES, NO_SCOPE } from '../src/common/route-access';
import { SIGNING_ALGORITHMS } from '../src/crypto/algorithms';
import { KEY_STATUSES } from '../src/tenant-keys/entities/tenant-key.entity';
import { startTestApp, type TestApp } from './support/test-app';

type Documented = { security?: unknown[]; 'x-required-scope'?: string };

/** The console calls the public API only: every route it uses is in the OpenAPI document, under the scope it greys out by. */
describe('the console against the OpenAPI document', () => {
  let testApp: TestApp;
  let paths: Record<string, Record<string, Documented>>;

  beforeAll(async () => {
    testApp = await startTestApp();
    paths = (await request(testApp.http).get('/docs-json').expect(200)).body.paths;
  });
  afterAll(() => testApp.close());

  it.each(Object.entries(OPERATIONS))('%s is a documented route with the scope the console expects', (_name, operation) => {
    const documented = paths[operation.path]?.[operation.method.toLowerCase()];
    expect(documented).toBeDefined();
    if (operation.scope === 'public') {
      expect(documented.security).toBeUndefined();
    } else {
      expect(documented['x-required-scope']).toBe(operation.scope === 'any' ? NO_SCOPE : operation.scope);
    }
  });

  it("offers the service's own algorithms, statuses, scopes, audit actions and outcomes", () => {
    expect(vocabulary.ALGORITHMS).toEqual([...SIGNING_ALGORITHMS]);
    expect(vocabulary.KEY_STATUSES).toEqual([...KEY_STATUSES]);
    expect(vocabulary.API_KEY_SCOPES).toEqual([...API_KEY_SCOPES]);
    expect(vocabulary.AUDIT_ACTIONS).toEqual([...AUDIT_ACTIONS]);
    expect(vocabulary.AUDIT_OUTCOMES).toEqual([...AUDIT_OUTCOMES]);
  });
});
