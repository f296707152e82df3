import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tools/free-port';
import { startService } from './support/processes';
import { tenantHeaders } from './support/test-app';
import { eventually } from './support/eventually';

/** Whether a new TCP connection to the port is accepted. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * SIGTERM while requests are in flight: they finish, new connections are refused, the embedded PostgreSQL
 * stops, the exit code is 0, every generate that was answered 200 is there after a restart, and its log line was written.
 */
describe('SIGTERM under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyservice-shutdown-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes in-flight requests, refuses new connections, stops the database, exits 0, loses nothing acknowledged', async () => {
    const tenantId = randomUUID();
    const apiKey = randomBytes(32).toString('base64url');
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      BOOTSTRAP_TENANT_ID: tenantId,
      BOOTSTRAP_API_KEY: apiKey,
      RSA_POOL_SIZES: 'off',
      RATE_LIMIT_WRITES: 'off',
    };
    const headers = { ...tenantHeaders(tenantId, apiKey), 'content-type': 'application/json' };
    const generate = (body: object) => fetch(`http://127.0.0.1:${port}/key/generate`, { method: 'POST', headers, body: JSON.stringify(body) });

    const service = startService(env);
    await service.waitFor(/listening on/, 60_000);

    const acknowledged: string[] = [];
    const refused: string[] = [];
    let terminated = false;
    const traffic = Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; ; i++) {
          try {
            const res = await generate({ algorithm: 'ES256', name: `w${worker}-${i}` });
            const body = (await res.json()) as { success: boolean; data: { id: string } };
            // An answer that arrives is a whole one: 200 with the key, never a 5xx.
            expect(res.status).toBe(200);
            acknowledged.push(body.data.id);
          } catch (error) {
            if (!terminated) throw error;
            refused.push((error as Error).message);
            return;
          }
        }
      }),
    );
    await eventually('keys acknowledged under traffic', () => acknowledged.length >= 20, { withinMs: 30_000 });
    // An RSA-4096 generation takes a second or more: in flight when the signal comes. Nothing outside shows
    // that the request has arrived, so it gets a moment to, far less than the generation lasts.
    const slow = generate({ algorithm: 'RS512', name: 'in-flight', length: 4096 });
    await new Promise((resolve) => setTimeout(resolve, 100));

    terminated = true;
    service.child.kill('SIGTERM');
    await service.waitFor(/SIGTERM received: closing/);
    expect(await accepts(port)).toBe(false);
    const slowAnswer = await slow;
    expect(slowAnswer.status).toBe(200);
    acknowledged.push(((await slowAnswer.json()) as { data: { id: string } }).data.id);

    expect(await service.exited).toBe(0);
    await traffic;
    // The log is buffered: what was in the buffer at exit is written too, the request lines and the last line.
    const { value: output } = await eventually(
      'the last log line',
      () => /Closed: every request answered/.test(service.output()) && service.output(),
    );
    expect(output.match(/"msg":"POST \/key\/generate 200 /g)?.length ?? 0).toBe(acknowledged.length);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(acknowledged.length).toBeGreaterThan(10);

    // Everything acknowledged is there after a restart.
    const again = startService(env);
    await again.waitFor(/listening on/, 60_000);
    try {
      const listed = (await (await fetch(`http://127.0.0.1:${port}/key`, { headers })).json()) as { data: { id: string }[] };
      const stored = new Set(listed.data.map((key) => key.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      process.stdout.write(
        `graceful shutdown: ${acknowledged.length} acknowledged generates all stored; ${refused.length} callers refused after SIGTERM\n`,
      );
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  }, 120_000);
});
