import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';
import { freePort } from '../tools/free-port';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';
import { eventually } from './support/eventually';

/** No answer may take longer than this, database or not (the pool gives up connecting after 5 s). */
const ANSWER_BOUND_MS = 7_000;

interface Answer {
  phase: 'before' | 'down' | 'after';
  status: number;
  ms: number;
  keyId?: string;
}

/**
 * The PostgreSQL server itself goes away under traffic and comes back: the same process answers 503
 * meanwhile, serves again afterwards, and every key it said it generated is there, whole.
 */
describe('a database outage under traffic', () => {
  let dataDir: string;
  let port: number;
  let database: EmbeddedDatabase;
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyservice-outage-'));
    port = await freePort();
    database = await startEmbeddedPostgres(dataDir, port);
    testApp = await startTestApp({ DATABASE_URL: database.url });
    tenant = await testApp.createTenant('outage');
  });
  afterAll(async () => {
    await testApp?.close();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 in the envelope while PostgreSQL is down, serves again once it is back, and loses no acknowledged key', async () => {
    const answers: Answer[] = [];
    let phase: Answer['phase'] = 'before';
    let running = true;
    const traffic = Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; running; i++) {
          const started = Date.now();
          const res =
            (i + worker) % 2 === 0
              ? await request(testApp.http)
                  .post('/key/generate')
                  .set(tenant.headers)
                  .send({ algorithm: 'ES256', name: `w${worker}-${i}` })
              : await request(testApp.http).get('/key?limit=5').set(tenant.headers);
          answers.push({ phase, status: res.status, ms: Date.now() - started, keyId: res.status === 200 ? res.body.data?.id : undefined });
          expect(res.body).toMatchObject({ success: res.status === 200 });
          if (res.status !== 200) expect(JSON.stringify(res.body)).not.toMatch(/pg_|SQL|terminat|at .*\.js|ECONN|postgres/i);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }),
    );
    const by = (wanted: Answer['phase']) => answers.filter((answer) => answer.phase === wanted);

    await eventually('answers before the outage', () => by('before').length >= 20);
    phase = 'down';
    await database.stop();
    await eventually('503s while the database is down', () => by('down').filter((answer) => answer.status === 503).length >= 8);
    const health = await request(testApp.http).get('/health');
    expectEnvelope(health, 503);

    database = await startEmbeddedPostgres(dataDir, port);
    phase = 'after';
    // The pool reconnects on demand: wait for successes, then stop the traffic.
    await eventually('answers after the database is back', () => by('after').filter((answer) => answer.status === 200).length >= 20);
    running = false;
    await traffic;
    expectEnvelope(await request(testApp.http).get('/health'), 200);

    // Only 200 and 503, ever, each within the bound.
    expect([...new Set(answers.map((answer) => answer.status))].sort()).toEqual([200, 503]);
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(ANSWER_BOUND_MS);
    expect(by('before').every((answer) => answer.status === 200)).toBe(true);
    expect(by('down').some((answer) => answer.status === 503)).toBe(true);
    expect(by('after').some((answer) => answer.status === 200)).toBe(true);

    // Every generate acknowledged before, during or after is readable, and no stored key is half-written.
    const acknowledged = answers.flatMap((answer) => (answer.keyId ? [answer.keyId] : []));
    expect(acknowledged.length).toBeGreaterThan(5);
    for (const id of acknowledged) {
      const res = await request(testApp.http).get(`/key/${id}`).set(tenant.headers);
      expectEnvelope(res, 200);
      expect(res.body.data.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    }
    const [{ broken }] = await testApp.dataSource.query(
      `SELECT count(*)::int AS broken FROM tenant_keys WHERE public_key_pem IS NULL OR private_key_sealed IS NULL OR kid IS NULL`,
    );
    expect(broken).toBe(0);
    process.stdout.write(
      `database outage: ${answers.length} answers (${by('down').filter((a) => a.status === 503).length} 503s while down), ` +
        `slowest ${Math.max(...answers.map((a) => a.ms))} ms, ${acknowledged.length} acknowledged keys all readable\n`,
    );
  }, 60_000);
});
