import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tools/free-port';
import { startService, type RunningService } from './support/processes';
import { tenantHeaders } from './support/test-app';
import { callerError, eventually } from './support/eventually';

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

/** No answer (fetch rejects): a failure that names the request, at the test's line, rather than undici's own stack. */
async function answered(what: string, pending: Promise<Response>): Promise<Response> {
  const failure = callerError(answered);
  try {
    return await pending;
  } catch (error) {
    const { message, cause } = error as Error & { cause?: Error };
    throw failure(`${what} got no answer: ${message}${cause ? ` (${cause.message})` : ''}`);
  }
}

/**
 * SIGTERM while requests are in flight: they finish, new connections are refused, the embedded PostgreSQL
 * stops, the exit code is 0, every generate that was answered 200 is there after a restart, and its log line was written.
 */
describe('SIGTERM under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyservice-shutdown-'));
  const started: RunningService[] = [];
  const start = (env: Record<string, string>) => started[started.push(startService(env)) - 1];
  // A failed run leaves no service (nor its database) behind to keep jest's worker alive.
  afterAll(async () => {
    for (const service of started.filter(({ child }) => child.exitCode === null)) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Up to 5 minutes: the in-flight RSA-4096 generation runs at the lowest CPU priority, a minute or more on a busy machine.
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

    const service = start(env);
    await service.waitFor(/listening on/, 60_000);

    const acknowledged: string[] = [];
    const refused: string[] = [];
    let terminated = false;
    // A wrong answer fails the test at once, not as a wait that runs out; a caller refused after SIGTERM stops.
    let trafficFailure: Error | undefined;
    const traffic = Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; ; i++) {
          let res: Response;
          try {
            res = await answered(`generate ${i} of caller ${worker}`, generate({ algorithm: 'ES256', name: `w${worker}-${i}` }));
          } catch (error) {
            if (!terminated) throw error;
            refused.push((error as Error).message);
            return;
          }
          // An answer that arrives is a whole one: 200 with the key, never a 5xx, before or after SIGTERM.
          const body = (await res.json()) as { data: { id: string } | null; message: string };
          expect({ status: res.status, message: body.message }).toEqual({ status: 200, message: expect.any(String) });
          acknowledged.push(body.data!.id);
        }
      }),
    ).catch((error: Error) => void (trafficFailure = error));
    const trafficRuns = () => {
      if (trafficFailure) throw trafficFailure;
      return true;
    };
    await eventually('20 keys acknowledged under traffic', () => trafficRuns() && acknowledged.length >= 20, { withinMs: 60_000 });

    // An RSA-4096 generation takes a second or more: in flight when the signal comes, as the service's own gauge shows.
    const slow = answered('the RSA-4096 generate in flight at SIGTERM', generate({ algorithm: 'RS512', name: 'in-flight', length: 4096 }));
    await eventually(
      'the RSA-4096 generation under way (rsa_generations running or waiting)',
      async () => {
        const metrics = await (await answered('GET /metrics', fetch(`http://127.0.0.1:${port}/metrics`))).text();
        return /^rsa_generations\{state="(running|waiting)"\} [1-9]/m.test(metrics);
      },
      { withinMs: 30_000 },
    );

    terminated = true;
    service.child.kill('SIGTERM');
    await service.waitFor(/SIGTERM received: closing/);
    // The listener closes once the app's shutdown hooks have run: a moment after the line, longer on a busy machine.
    await eventually('new connections refused after SIGTERM', async () => !(await accepts(port)), { withinMs: 30_000 });
    const slowAnswer = await slow;
    expect(slowAnswer.status).toBe(200);
    acknowledged.push(((await slowAnswer.json()) as { data: { id: string } }).data.id);

    expect(await service.exited).toBe(0);
    await traffic;
    trafficRuns();
    // The log is buffered: what was in the buffer at exit is written too, the request lines and the last line.
    await service.waitFor(/Closed: every request answered/);
    expect(service.output().match(/"msg":"POST \/key\/generate 200 /g)?.length ?? 0).toBe(acknowledged.length);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    // Everything acknowledged is there after a restart.
    const again = start(env);
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
  }, 300_000);
});
