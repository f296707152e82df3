/**
 * npm run bench [-- [--quick] [--only=<regex>] [--cpu-prof=<dir>]]
 *
 * Starts the built service (dist/src/main.js) on an embedded PostgreSQL, seeds a tenant with 100 keys through
 * the API and another with 10,000 distinct ES256 keys in SQL (each sealed to its own row, so each opens and
 * signs), and measures each scenario with autocannon beside its limit measured in the same run: a node:http + pg
 * server answering the same query with the same JSON, a static-JSON server, panva's oidc-provider, a node:http
 * server signing with crypto.sign, or the raw crypto operation. Then 20,000 tenants each fetch their JWKS and
 * sign once, a warm RSA pool generates, and reads run while RSA-4096 keys are generated. Prints a Markdown table:
 * requests/s, p50/p99 latency, the service's peak RSS, the same-run limit, ours / limit, the target, the status
 * and a note.
 *
 * --quick runs every scenario briefly (2,000 keys in the big tenant, 2,000 tenants): it fails on a broken
 * scenario (errors, non-2xx), never on a timing. --only=<regex> runs the scenarios whose names match (for A/B
 * runs of one route). --cpu-prof=<dir> profiles the service (node --cpu-prof, one .cpuprofile per service
 * process, written when it stops).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { algorithmSpec } from '../src/crypto/algorithms';
import { seal, tenantKeyAssociatedData } from '../src/crypto/sealing';
import { webhookSignature } from '../src/crypto/standard-webhooks';
import { postWebhook } from '../src/webhooks/delivery/post-webhook';
import { TENANT_CHANGES_CHANNEL } from '../src/database/tenant-changes';
import { describePublicKey, exportPrivateMaterial } from '../src/crypto/signing-keys';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { apiKeyPrefix, generateApiKey, hashSecret } from '../src/tenants/api-key-secret';
import { freePort } from '../tools/free-port';
import { API_KEY_SCOPES } from '../src/common/route-access';

const QUICK = process.argv.includes('--quick');
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const CPU_PROFILE_DIR = process.argv.find((arg) => arg.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const selected = (name: string) => ONLY === undefined || new RegExp(ONLY, 'i').test(name);
const DURATION_S = QUICK ? 1 : 6;
/** A scenario and its HTTP limit are measured in alternating rounds (the median kept): a 2-core machine drifts. */
const ROUNDS = QUICK ? 1 : 3;
const CONNECTIONS = 10;
const ROOT = join(__dirname, '..');
const BIG_TENANT_KEYS = QUICK ? 2_000 : 10_000;
const BIG_TENANT_LABEL = BIG_TENANT_KEYS.toLocaleString('en');
const MANY_TENANTS = QUICK ? 2_000 : 20_000;
/** Rows per INSERT of the SQL seeds (unnest of arrays): large enough to be quick, small enough for memory. */
const SEED_BATCH = 1_000;
const EC_GENERATIONS = QUICK ? 20 : 200;
const RSA_GENERATIONS = QUICK ? 6 : 40;
const ISSUER = 'https://bench.example';
const WEBHOOK_EVENTS = QUICK ? 200 : 3_000;
/** Writes per rename scenario: two of them stay under the default write limit (600 per minute per tenant). */
const WEBHOOK_RENAMES = QUICK ? 50 : 250;
const generateKeyPairAsync = promisify(generateKeyPair);
const generateP256KeyPair = () => generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });

/** A same-run limit the scenario is compared with. */
interface Limit {
  name: string;
  perSecond: number;
  /** The aim for ours / limit, as a fraction (0.6: at least 60%). */
  target?: number;
}

/** One row of the table. Latencies are absent when nothing was timed per request. */
interface Measured {
  scenario: string;
  requestsPerSecond: number;
  p50?: number;
  p99?: number;
  peakRssMb?: number;
  limit?: Limit;
  p99TargetMs?: number;
  note?: string;
  failed?: string;
}
const results: Measured[] = [];

interface Service {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}
/** Every process started and not yet stopped, so that a failure stops them all. */
const running = new Set<Service>();

interface Tenant {
  tenantId: string;
  apiKey: string;
}

/** A tenant seeded in SQL, and the key it signs with. */
interface SeededTenant extends Tenant {
  keyId: string;
}

const newTenant = (): Tenant => ({ tenantId: randomUUID(), apiKey: generateApiKey() });
const tenantHeaders = ({ tenantId, apiKey }: Tenant) => ({ authorization: `Basic ${apiKey}`, 'x-stencil-tenantid': tenantId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  return (await (await fetch(url, { headers })).json()) as T;
}

/** A started process as a Service, stopped by stopAll() unless stopped before. */
function track(child: ChildProcess, url: string): Service {
  const service: Service = {
    url,
    process: child,
    stop: () => {
      running.delete(service);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
  running.add(service);
  return service;
}

async function stopAll(): Promise<void> {
  for (const service of [...running]) await service.stop().catch(() => undefined);
}

async function waitUntilAnswers(service: Service, path: string): Promise<Service> {
  for (let i = 0; i < 600; i++) {
    if (service.process.exitCode !== null) throw new Error(`process exited with ${service.process.exitCode}`);
    try {
      if ((await fetch(`${service.url}${path}`)).ok) return service;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${service.url}${path} did not answer`);
}

async function startService(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const profile = CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, 'dist/src/main.js')], {
    env: { PATH: process.env.PATH, PORT: String(port), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return waitUntilAnswers(track(child, `http://127.0.0.1:${port}`), '/health');
}

/** bench/baseline-server.js in one of its modes: pg-list, pg-get, static, sign. */
async function startBaseline(mode: string, args: string[] = []): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'baseline-server.js'), mode, String(port), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return waitUntilAnswers(track(child, `http://127.0.0.1:${port}`), '/health');
}

/** panva's oidc-provider serving `count` P-256 keys at /jwks, as the JWKS scenario's peer. */
async function startOidcProviderPeer(dir: string, count: number): Promise<Service> {
  const keys = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { privateKey } = await generateP256KeyPair();
      return { ...(privateKey.export({ format: 'jwk' }) as object), kid: `peer-${i}`, alg: 'ES256', use: 'sig' };
    }),
  );
  const file = join(dir, 'oidc-provider-keys.json');
  writeFileSync(file, JSON.stringify({ keys }));
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'oidc-provider-peer.mjs'), String(port), file], { stdio: ['ignore', 'ignore', 'ignore'] });
  return waitUntilAnswers(track(child, `http://127.0.0.1:${port}`), '/jwks');
}

/** POST through the API; throws unless the envelope says success. */
async function post(service: Service, path: string, body: object, headers: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { success: boolean; data: Record<string, string> };
  if (!json.success) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json.data;
}

/**
 * The bootstrap tenant's 100 ES256 keys, made through the API, and 10 user keys registered with a token the
 * first key signs (it is the issuer of user tokens). Returns that key's id and the token.
 */
async function seedTenantThroughApi(service: Service, tenant: Tenant): Promise<{ signingKeyId: string; userToken: string }> {
  const headers = tenantHeaders(tenant);
  const keyIds: string[] = [];
  for (let i = 0; i < 100; i++) {
    const key = await post(service, '/key/generate', { algorithm: 'ES256', name: `seed-${i}`, issuer: ISSUER }, headers);
    keyIds.push(key.id);
  }
  const [signingKeyId] = keyIds;
  const { token } = await post(service, `/key/${signingKeyId}/sign`, { payload: { sub: 'bench-user', scope: 'add_key' }, expiresIn: 3600 }, headers);
  for (let i = 0; i < 10; i++) await post(service, '/keys/register', { name: `user-key-${i}` }, { authorization: `Bearer ${token}` });
  return { signingKeyId, userToken: token };
}

async function inBatches<T>(items: T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += SEED_BATCH) await insert(items.slice(start, start + SEED_BATCH));
}

/** Tenants, each with one API key (only its hash stored, as the service does). */
async function insertTenants(admin: Client, name: string, tenants: Tenant[]): Promise<void> {
  await inBatches(tenants, async (batch) => {
    await admin.query(`INSERT INTO tenants (id, name) SELECT unnest($1::uuid[]), $2`, [batch.map((tenant) => tenant.tenantId), name]);
    await admin.query(
      `INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, scopes) SELECT gen_random_uuid(), t, p, h, $4 FROM unnest($1::uuid[], $2::text[], $3::bytea[]) AS u(t, p, h)`,
      [
        batch.map((tenant) => tenant.tenantId),
        batch.map((tenant) => apiKeyPrefix(tenant.apiKey)),
        batch.map((tenant) => hashSecret(tenant.apiKey)),
        API_KEY_SCOPES,
      ],
    );
  });
}

interface SeedKey {
  tenantId: string;
  keyId: string;
  name: string;
}

/**
 * ES256 keys in SQL, each a pair of its own, described (PEM, JWK, kid) and sealed to its row as the service
 * does: the associated data binds a sealed key to its tenant and key id, so a copied one would not open.
 * created_at grows by 1 µs per key in the order given, since pages are walked in that order.
 */
async function insertEs256Keys(admin: Client, kek: Buffer, keys: SeedKey[], issuer: string | null): Promise<void> {
  const { type, curve, lengths } = algorithmSpec('ES256');
  const createdFrom = new Date();
  let offset = 0;
  await inBatches(keys, async (batch) => {
    const rows = await Promise.all(
      batch.map(async (key) => {
        const { privateKey, publicKey } = await generateP256KeyPair();
        const described = await describePublicKey(publicKey, 'ES256');
        const sealed = seal(kek, exportPrivateMaterial(privateKey), tenantKeyAssociatedData(key.tenantId, key.keyId));
        return { ...key, ...described, sealed };
      }),
    );
    await admin.query(
      `INSERT INTO tenant_keys (tenant_id, id, name, algorithm, type, curve, length, issuer, kid, public_key_pem, public_jwk, private_key_sealed, created_at)
       SELECT t, k, n, 'ES256', $1::text, $2::text, $3::int, $4::text, kid, pem, jwk::jsonb, s, $5::timestamptz + ($6 + o) * interval '1 microsecond'
       FROM unnest($7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[]) WITH ORDINALITY AS u(t, k, n, kid, pem, jwk, s, o)`,
      [
        type,
        curve,
        lengths[0],
        issuer,
        createdFrom,
        offset,
        rows.map((row) => row.tenantId),
        rows.map((row) => row.keyId),
        rows.map((row) => row.name),
        rows.map((row) => row.kid),
        rows.map((row) => row.publicKeyPem),
        rows.map((row) => JSON.stringify(row.jwk)),
        rows.map((row) => row.sealed),
      ],
    );
    offset += batch.length;
  });
}

async function withAdmin<T>(databaseUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** A second tenant with 10,000 keys (2,000 quick), for pages and signing in a large tenant. Returns one key to sign with. */
async function seedBigTenant(databaseUrl: string, kek: Buffer): Promise<SeededTenant> {
  const tenant = newTenant();
  const keys = Array.from({ length: BIG_TENANT_KEYS }, (_, i) => ({ tenantId: tenant.tenantId, keyId: randomUUID(), name: `big-${i + 1}` }));
  await withAdmin(databaseUrl, async (admin) => {
    await insertTenants(admin, 'big', [tenant]);
    await insertEs256Keys(admin, kek, keys, ISSUER);
    // What autovacuum would do soon after such a bulk load: fresh planner statistics.
    await admin.query('ANALYZE tenant_keys');
  });
  return { ...tenant, keyId: keys[Math.floor(keys.length / 2)].keyId };
}

/** `count` tenants, each with one ES256 key and one API key, in SQL: what a service with many tenants holds. */
async function seedTenants(databaseUrl: string, kek: Buffer, count: number): Promise<SeededTenant[]> {
  const tenants = Array.from({ length: count }, () => ({ ...newTenant(), keyId: randomUUID() }));
  await withAdmin(databaseUrl, async (admin) => {
    await insertTenants(admin, 'many', tenants);
    await insertEs256Keys(
      admin,
      kek,
      tenants.map(({ tenantId, keyId }) => ({ tenantId, keyId, name: 'many' })),
      null,
    );
    await admin.query('ANALYZE');
  });
  return tenants;
}

/** Peak resident memory of a process while `work` runs, sampled from /proc every 50 ms. */
async function withPeakRss<T>(pid: number, work: () => Promise<T>): Promise<[T, number]> {
  let peakKb = 0;
  const sample = () => {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // process gone
    }
  };
  sample();
  const timer = setInterval(sample, 50);
  try {
    return [await work(), Math.round(peakKb / 1024)];
  } finally {
    clearInterval(timer);
  }
}

type LoadOptions = {
  path: string;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: object;
  amount?: number;
  seconds?: number;
};
type LoadResult = { requestsPerSecond: number; p50: number; p99: number; failed?: string };

/** `url`: one server, or several that share the connections equally (a balancer with no hop of its own). */
async function load(url: string | string[], options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const result = await autocannon({
    // autocannon shares the connections between the urls of an array (lib/url.js); its types know only a string.
    url: (Array.isArray(url) ? url.map((each) => `${each}${options.path}`) : `${url}${options.path}`) as string,
    method: options.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body ? JSON.stringify(options.body) : undefined,
    connections: Math.min(CONNECTIONS, options.amount ?? CONNECTIONS),
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? DURATION_S }),
  });
  const failures = result.errors + result.timeouts + result.non2xx;
  return {
    // A fixed amount finishes between autocannon's one-second ticks: timed here instead.
    requestsPerSecond: options.amount ? (result.requests.total / (performance.now() - started)) * 1000 : result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: failures > 0 ? `${failures} failed requests (${result.non2xx} non-2xx, ${result.errors} errors)` : undefined,
  };
}

/** A load on the service, with the service's peak RSS meanwhile. */
async function loadService(service: Service, options: LoadOptions): Promise<LoadResult & { peakRssMb: number }> {
  const [measured, peakRssMb] = await withPeakRss(service.process.pid!, () => load(service.url, options));
  return { ...measured, peakRssMb };
}

function record(row: Measured): void {
  results.push(row);
  process.stderr.write(`  ${row.scenario}: ${row.requestsPerSecond.toFixed(0)} req/s${row.failed ? ` FAILED: ${row.failed}` : ''}\n`);
}

/** A scenario alone, or beside a limit measured just before it (a raw crypto operation). */
async function scenario(name: string, service: Service, options: LoadOptions, measureLimit?: () => Promise<Limit>): Promise<void> {
  if (!selected(name)) return;
  const limit = await measureLimit?.();
  record({ scenario: name, ...(await loadService(service, options)), limit });
}

interface HttpLimit {
  name: string;
  start: () => Promise<Service>;
  options: LoadOptions;
  target: number;
}

const median = <T>(values: T[], by: (value: T) => number) => [...values].sort((a, b) => by(a) - by(b))[Math.floor(values.length / 2)];

/** A scenario against an HTTP limit, started for it: rounds of each in turn, the median round of each reported. */
async function versus(name: string, service: Service, options: LoadOptions, limit: HttpLimit): Promise<void> {
  if (!selected(name)) return;
  const baseline = await limit.start();
  const seconds = DURATION_S / ROUNDS;
  const ours: LoadResult[] = [];
  const theirs: number[] = [];
  const [, peakRssMb] = await withPeakRss(service.process.pid!, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      theirs.push((await load(baseline.url, { ...limit.options, seconds })).requestsPerSecond);
      ours.push(await load(service.url, { ...options, seconds }));
    }
  });
  await baseline.stop();
  record({
    scenario: name,
    ...median(ours, (round) => round.requestsPerSecond),
    failed: ours.find((round) => round.failed)?.failed,
    peakRssMb,
    limit: { name: limit.name, perSecond: median(theirs, (perSecond) => perSecond), target: limit.target },
  });
}

/** Throughput of an async operation at the same concurrency as the HTTP load. */
async function opsPerSecond(operation: () => Promise<unknown>, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next++ < count) await operation();
    }),
  );
  return (count / (performance.now() - started)) * 1000;
}

function syncOpsPerSecond(operation: () => unknown): number {
  const until = performance.now() + DURATION_S * 500;
  let count = 0;
  const started = performance.now();
  while (performance.now() < until) {
    operation();
    count++;
  }
  return (count / (performance.now() - started)) * 1000;
}

/** A raw crypto limit, measured on first use only (two scenarios share the RSA one). */
function rawLimit(name: string, operation: () => Promise<unknown>, count: number): () => Promise<Limit> {
  let measured: Promise<Limit> | undefined;
  return () => (measured ??= opsPerSecond(operation, count).then((perSecond) => ({ name, perSecond })));
}

/** GET /key, GET /key/:id and the JWKS, against node:http + pg, a static server and oidc-provider. */
async function measureReads(service: Service, databaseUrl: string, dataDir: string, tenant: Tenant, keyId: string): Promise<void> {
  const headers = tenantHeaders(tenant);
  const sameJson = 'node:http + pg, same JSON';
  await versus(
    'GET /key (100 keys)',
    service,
    { path: '/key', headers },
    { name: sameJson, start: () => startBaseline('pg-list', [databaseUrl, tenant.tenantId]), options: { path: '/' }, target: 0.7 },
  );
  await versus(
    'GET /key/:id',
    service,
    { path: `/key/${keyId}`, headers },
    { name: sameJson, start: () => startBaseline('pg-get', [databaseUrl, tenant.tenantId]), options: { path: `/${keyId}` }, target: 0.6 },
  );
  const jwksPath = `/tenants/${tenant.tenantId}/.well-known/jwks.json`;
  const startStaticJwks = async () => {
    const file = join(dataDir, 'jwks.json');
    writeFileSync(file, await (await fetch(`${service.url}${jwksPath}`)).text());
    return startBaseline('static', ['', '', file]);
  };
  await versus(
    'JWKS (100 keys)',
    service,
    { path: jwksPath },
    { name: 'static JSON server', start: startStaticJwks, options: { path: '/' }, target: 0.8 },
  );
  await versus(
    'JWKS (100 keys) vs oidc-provider',
    service,
    { path: jwksPath },
    { name: "oidc-provider's /jwks, 100 keys", start: () => startOidcProviderPeer(dataDir, 100), options: { path: '/jwks' }, target: 2 },
  );
}

/** Signing through the API, in the 100-key tenant and the big one, and crypto.sign alone. */
async function measureSigning(service: Service, tenant: Tenant, keyId: string, bigTenant: SeededTenant): Promise<void> {
  const signRequest: LoadOptions = {
    path: `/key/${keyId}/sign`,
    method: 'POST',
    headers: tenantHeaders(tenant),
    body: { payload: { sub: 'bench' } },
  };
  // Against what any HTTP server reaches here with the load generator on the same cores: the same request
  // and answer, node:http + crypto.sign, no auth, no database, no framework.
  await versus('POST /key/:id/sign ES256', service, signRequest, {
    name: 'node:http + crypto.sign, same request',
    start: () => startBaseline('sign'),
    options: { ...signRequest, path: '/' },
    target: 0.5,
  });
  await scenario(`POST /key/:id/sign ES256 (${BIG_TENANT_LABEL}-key tenant)`, service, {
    ...signRequest,
    path: `/key/${bigTenant.keyId}/sign`,
    headers: tenantHeaders(bigTenant),
  });
  const rawName = '(raw) crypto.sign ES256, one core, no HTTP';
  if (selected(rawName)) {
    const { privateKey } = await generateP256KeyPair();
    const signingInput = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9');
    const perSecond = syncOpsPerSecond(() => sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    record({ scenario: rawName, requestsPerSecond: perSecond });
  }
}

/**
 * Post-quantum signing (issue 28): sign with ML-DSA-44 and ML-DSA-65 through the API beside ES256, each beside
 * crypto.sign on a key of its own kind (one core, no HTTP); and the JWKS of a tenant with 10 ML-DSA-65 keys beside
 * one with 10 EC keys, with the size of each set.
 */
async function measurePostQuantum(service: Service, databaseUrl: string): Promise<void> {
  const signers = ['ES256', 'ML-DSA-44', 'ML-DSA-65'].filter((algorithm) => selected(`POST /key/:id/sign ${algorithm}, one key`));
  const sets = (['EC', 'ML-DSA-65'] as const).filter((kind) => selected(`JWKS (10 ${kind} keys)`));
  if (signers.length === 0 && sets.length === 0) return;
  const tenants = { EC: newTenant(), 'ML-DSA-65': newTenant(), signers: newTenant() };
  await withAdmin(databaseUrl, (admin) => insertTenants(admin, 'post-quantum', Object.values(tenants)));
  const signingInput = Buffer.from('eyJhbGciOiJNTC1EU0EtNjUifQ.eyJzdWIiOiJiZW5jaCJ9');
  for (const algorithm of signers) {
    const headers = tenantHeaders(tenants.signers);
    const key = await post(service, '/key/generate', { algorithm, name: algorithm }, headers);
    // The same work without HTTP: crypto.sign on a key of the same kind, made here.
    const local = algorithm === 'ES256' ? await generateP256KeyPair() : await generateKeyPairAsync(algorithm.toLowerCase() as never);
    const perSecond = syncOpsPerSecond(() =>
      algorithm === 'ES256'
        ? sign('sha256', signingInput, { key: local.privateKey, dsaEncoding: 'ieee-p1363' })
        : sign(null, signingInput, local.privateKey),
    );
    const signRequest: LoadOptions = { path: `/key/${key.id}/sign`, method: 'POST', headers, body: { payload: { sub: 'bench' } } };
    record({
      scenario: `POST /key/:id/sign ${algorithm}, one key`,
      ...(await loadService(service, signRequest)),
      limit: { name: `crypto.sign ${algorithm}, one core, no HTTP`, perSecond },
    });
  }
  for (const kind of sets) {
    const tenant = tenants[kind];
    for (let i = 0; i < 10; i++)
      await post(service, '/key/generate', { algorithm: kind === 'EC' ? 'ES256' : kind, name: `${kind}-${i}` }, tenantHeaders(tenant));
    const path = `/tenants/${tenant.tenantId}/.well-known/jwks.json`;
    const bytes = (await (await fetch(`${service.url}${path}`)).arrayBuffer()).byteLength;
    record({ scenario: `JWKS (10 ${kind} keys)`, ...(await loadService(service, { path })), note: `${bytes.toLocaleString('en')} bytes` });
  }
}

/** Key generation through the API beside crypto.generateKeyPair alone; RSA without the pool. */
async function measureGeneration(service: Service, tenant: Tenant, rawRsa2048: () => Promise<Limit>): Promise<void> {
  const generate = (algorithm: string, amount: number): LoadOptions => ({
    path: '/key/generate',
    method: 'POST',
    headers: tenantHeaders(tenant),
    body: { algorithm, name: 'gen' },
    amount,
  });
  await scenario(
    'POST /key/generate ES256',
    service,
    generate('ES256', EC_GENERATIONS),
    rawLimit('crypto.generateKeyPair P-256', generateP256KeyPair, EC_GENERATIONS),
  );
  await scenario('POST /key/generate RS256 (no pool)', service, generate('RS256', RSA_GENERATIONS), rawRsa2048);
}

/** Pages of 100: a tenant of 100 keys against one of 10,000, whose second page starts from a cursor. */
async function measurePages(service: Service, tenant: Tenant, bigTenant: Tenant): Promise<void> {
  await scenario('GET /key?limit=100 (100 keys)', service, { path: '/key?limit=100', headers: tenantHeaders(tenant) });
  const headers = tenantHeaders(bigTenant);
  await scenario(`GET /key?limit=100 (${BIG_TENANT_LABEL} keys, first page)`, service, { path: '/key?limit=100', headers });
  const secondPage = `GET /key?limit=100 (${BIG_TENANT_LABEL} keys, second page)`;
  if (!selected(secondPage)) return;
  const firstPage = await getJson<{ meta: { nextCursor: string } }>(`${service.url}/key?limit=100`, headers);
  await scenario(secondPage, service, { path: `/key?limit=100&cursor=${firstPage.meta.nextCursor}`, headers });
}

/**
 * 20,000 tenants (2,000 quick), each fetching its JWKS and signing once: peak RSS before and after, and a hot
 * tenant's sign throughput before and after, which bounded caches must keep.
 */
async function manyTenants(service: Service, databaseUrl: string, kek: Buffer, hot: LoadOptions): Promise<void> {
  const label = `${MANY_TENANTS.toLocaleString('en')} tenants`;
  if (!selected(label)) return;
  const tenants = await seedTenants(databaseUrl, kek, MANY_TENANTS);
  const hotRequest: LoadOptions = { ...hot, method: 'POST', seconds: Math.max(1, DURATION_S / 2) };
  const before = await loadService(service, hotRequest);
  let next = 0;
  let failures = 0;
  const sweep = async () => {
    for (let i = next++; i < tenants.length; i = next++) {
      const tenant = tenants[i];
      const jwks = await fetch(`${service.url}/tenants/${tenant.tenantId}/.well-known/jwks.json`);
      const signed = await fetch(`${service.url}/key/${tenant.keyId}/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...tenantHeaders(tenant) },
        body: JSON.stringify({ payload: { sub: 'many' } }),
      });
      if (!jwks.ok || !signed.ok) failures++;
      await Promise.all([jwks.arrayBuffer(), signed.arrayBuffer()]);
    }
  };
  const started = performance.now();
  const [, sweepRssMb] = await withPeakRss(service.process.pid!, () => Promise.all(Array.from({ length: CONNECTIONS }, sweep)));
  const sweepSeconds = (performance.now() - started) / 1000;
  const after = await loadService(service, hotRequest);
  record({ scenario: `hot tenant sign, before ${label}`, ...before });
  record({
    scenario: `${label}: JWKS + sign each (requests/s)`,
    requestsPerSecond: (MANY_TENANTS * 2) / sweepSeconds,
    peakRssMb: sweepRssMb,
    note: `${(MANY_TENANTS * 2).toLocaleString('en')} requests in ${sweepSeconds.toFixed(1)} s, ${CONNECTIONS} tenants at a time`,
    failed: failures ? `${failures} tenants failed` : undefined,
  });
  record({ scenario: `hot tenant sign, after ${label}`, ...after, limit: { name: 'before', perSecond: before.requestsPerSecond, target: 0.9 } });
}

/** RS256 generation with a warm pool: as many pairs ready as the scenario asks for. */
async function measureWarmRsaPool(env: Record<string, string>, tenant: Tenant, rawRsa2048: () => Promise<Limit>): Promise<void> {
  const name = 'POST /key/generate RS256 (warm pool)';
  if (!selected(name)) return;
  const pooled = await startService({ ...env, RSA_POOL_SIZES: `2048:${RSA_GENERATIONS}` });
  for (let i = 0; i < 1200; i++) {
    const health = await getJson<{ data: { rsaPoolReady: Record<string, number> } }>(`${pooled.url}/health`);
    if (health.data.rsaPoolReady['2048'] >= RSA_GENERATIONS) break;
    await sleep(100);
  }
  const request: LoadOptions = {
    path: '/key/generate',
    method: 'POST',
    headers: tenantHeaders(tenant),
    body: { algorithm: 'RS256', name: 'gen' },
    amount: RSA_GENERATIONS,
  };
  await scenario(name, pooled, request, rawRsa2048);
  await pooled.stop();
}

/** Reads while RSA-4096 keys are generated back to back, on a fresh process so its event-loop figures are its own. */
async function measureReadsDuringRsa4096(env: Record<string, string>, tenant: Tenant, keyId: string): Promise<void> {
  const name = 'GET /key/:id during RSA-4096 generation';
  if (!selected(name)) return;
  const busy = await startService(env);
  const headers = tenantHeaders(tenant);
  let generating = true;
  let made = 0;
  const generator = Promise.all(
    [0, 1].map(async () => {
      while (generating) {
        const res = await fetch(`${busy.url}/key/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ algorithm: 'RS512', name: 'big', length: 4096 }),
        });
        await res.arrayBuffer();
        if (res.ok) made++;
      }
    }),
  );
  const measured = await loadService(busy, { path: `/key/${keyId}`, headers });
  generating = false;
  await generator;
  const { eventLoopDelayMs } = (await getJson<{ data: { eventLoopDelayMs: { p99: number; max: number } } }>(`${busy.url}/health`)).data;
  await busy.stop();
  record({
    scenario: name,
    ...measured,
    p99TargetMs: 50,
    note: `${made} RSA-4096 keys made meanwhile; event-loop delay p99 ${eventLoopDelayMs.p99} ms, max ${eventLoopDelayMs.max} ms`,
  });
}

/** A local webhook receiver answering 204 after `delayMs`; counts what it got. */
async function startReceiver(delayMs: number): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received: () => received,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function until(what: string, done: () => boolean | Promise<boolean>, withinMs = 300_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${withinMs / 1000} s`);
    await sleep(20);
  }
}

/**
 * Webhooks, on a service of their own: the delivery rate of the outbox (events queued in SQL as key changes queue
 * them, one key each) to a local receiver, beside the bare work (the same bodies signed and POSTed four at a time
 * by postWebhook, with no database); and key writes (renames, each queuing an event for four subscriptions) with
 * no subscription, then with every subscription's receiver answering in 2 s, so that every delivery loop waits.
 */
async function measureWebhooks(env: Record<string, string>, databaseUrl: string): Promise<void> {
  const rateName = 'webhook deliveries to a local receiver (events/s)';
  const calmName = 'PUT /key/:id rename (4 webhooks, receiver answering at once)';
  const slowName = 'PUT /key/:id rename (4 webhooks, receiver answering in 2 s)';
  if (![rateName, calmName, slowName].some(selected)) return;
  const service = await startService({ ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  const [forRate, forWrites] = [newTenant(), newTenant()];
  await withAdmin(databaseUrl, (admin) => insertTenants(admin, 'webhooks', [forRate, forWrites]));
  const subscribe = (tenant: Tenant, url: string, events: string[]) => post(service, '/key/webhooks', { url, events }, tenantHeaders(tenant));

  if (selected(rateName)) {
    const receiver = await startReceiver(0);
    const { id, secret } = await subscribe(forRate, receiver.url, ['key.created']);
    const body = JSON.stringify({ type: 'key.created', timestamp: new Date().toISOString(), data: { tenantId: forRate.tenantId } });
    const bare = await opsPerSecond(async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const messageId = randomUUID();
      await postWebhook(
        receiver.url,
        {
          'webhook-id': messageId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': webhookSignature(secret, messageId, timestamp, body),
        },
        body,
        true,
      );
    }, WEBHOOK_EVENTS);
    const before = receiver.received();
    const started = performance.now();
    // Queued and announced as a change queues and announces its events.
    await withAdmin(databaseUrl, async (admin) => {
      await admin.query(
        `INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, event_type, key_id, body, next_attempt_at)
         SELECT gen_random_uuid(), $1, $2, 'key.created', gen_random_uuid(), $3, now() FROM generate_series(1, $4)`,
        [forRate.tenantId, id, body, WEBHOOK_EVENTS],
      );
      // Statistics, as autovacuum gathers within a minute on a running service: without any, the planner sorts every
      // pending row for each claim instead of walking the index (5.9 ms rather than 0.4 ms with 1,500 pending).
      await admin.query('ANALYZE webhook_deliveries');
      await admin.query('SELECT pg_notify($1, $2)', [TENANT_CHANGES_CHANNEL, forRate.tenantId]);
    });
    await until('every queued event delivered', () => receiver.received() - before >= WEBHOOK_EVENTS);
    const perSecond = (WEBHOOK_EVENTS / (performance.now() - started)) * 1000;
    const [{ retried, errors }] = await withAdmin(
      databaseUrl,
      async (admin) =>
        (
          await admin.query<{ retried: number; errors: string | null }>(
            `SELECT count(*) FILTER (WHERE attempts > 1)::int AS retried, string_agg(DISTINCT last_error, '; ') AS errors FROM webhook_deliveries WHERE subscription_id = $1`,
            [id],
          )
        ).rows,
    );
    record({
      scenario: rateName,
      requestsPerSecond: perSecond,
      limit: { name: 'signed POSTs, 4 at a time, no database', perSecond: bare },
      note: `${WEBHOOK_EVENTS} events, ${retried} after a failed try${errors ? ` (${errors})` : ''}`,
    });
    await receiver.close();
  }

  if (selected(calmName) || selected(slowName)) {
    // Renames of one key each, 4 subscriptions each: to a receiver that answers at once, then to one that takes 2 s.
    const renames = async (tenant: Tenant, receiverUrl: string) => {
      const headers = tenantHeaders(tenant);
      for (let i = 0; i < 4; i++) await subscribe(tenant, receiverUrl, ['key.renamed']);
      const key = await post(service, '/key/generate', { algorithm: 'ES256', name: 'renamed' }, headers);
      return loadService(service, { path: `/key/${key.id}`, method: 'PUT', headers, body: { name: 'renamed again' }, amount: WEBHOOK_RENAMES });
    };
    const fast = await startReceiver(0);
    const calm = await renames(forWrites, fast.url);
    record({ scenario: calmName, ...calm });
    const slowTenant = newTenant();
    await withAdmin(databaseUrl, (admin) => insertTenants(admin, 'slow webhooks', [slowTenant]));
    const slowReceiver = await startReceiver(2_000);
    const slow = await renames(slowTenant, slowReceiver.url);
    record({
      scenario: slowName,
      ...slow,
      limit: { name: 'the same, receiver answering at once', perSecond: calm.requestsPerSecond, target: 0.9 },
      note: `p50/p99 ${slow.p50}/${slow.p99} ms vs ${calm.p50}/${calm.p99} ms; ${slowReceiver.received()} slow deliveries received meanwhile, every loop waiting on one`,
    });
    await service.stop(); // first: its delivery loops end with the receivers still there
    await Promise.all([fast.close(), slowReceiver.close()]);
  }
  await service.stop();
}

/**
 * Signing with a key in custody "hsm" (SoftHSM2, a token made here) beside the same with a software key, on one
 * service: SoftHSM2 is software too, so the ratio is what the PKCS#11 path costs (sessions, the thread pool, the
 * JWS assembled here), not a hardware HSM's speed.
 */
async function measureHsm(env: Record<string, string>, dataDir: string): Promise<void> {
  const names = ['ES256', 'RS256'].map((algorithm) => `POST /key/:id/sign ${algorithm}, custody hsm (SoftHSM2)`);
  if (!names.some(selected)) return;
  execFileSync(join(ROOT, 'scripts', 'ensure-softhsm.sh'), { stdio: 'inherit' });
  const softHsm = join(dataDir, 'softhsm');
  mkdirSync(join(softHsm, 'tokens'), { recursive: true });
  writeFileSync(join(softHsm, 'softhsm2.conf'), `directories.tokendir = ${join(softHsm, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const hsmEnv = {
    SOFTHSM2_CONF: join(softHsm, 'softhsm2.conf'),
    PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
    PKCS11_TOKEN_LABEL: 'bench',
    PKCS11_PIN: '5678',
  };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', '1234', '--pin', '5678'], {
    env: { ...process.env, ...hsmEnv },
    stdio: 'pipe',
  });
  const service = await startService({ ...env, ...hsmEnv });
  const tenant = newTenant();
  await withAdmin(env.DATABASE_URL, (admin) => insertTenants(admin, 'hsm', [tenant]));
  const headers = tenantHeaders(tenant);
  for (const [i, algorithm] of ['ES256', 'RS256'].entries()) {
    if (!selected(names[i])) continue;
    const signWith = async (custody: string) => {
      const key = await post(service, '/key/generate', { algorithm, name: `${custody} ${algorithm}`, custody }, headers);
      return loadService(service, { path: `/key/${key.id}/sign`, method: 'POST', headers, body: { payload: { sub: 'bench' } } });
    };
    const software = await signWith('software');
    record({ scenario: `POST /key/:id/sign ${algorithm}, software key (same service)`, ...software });
    const hsm = await signWith('hsm');
    record({ scenario: names[i], ...hsm, limit: { name: 'the same, software key', perSecond: software.requestsPerSecond } });
  }
  await service.stop();
}

/**
 * What a second instance on the same database adds on this machine: the connections shared between two
 * instances against the one instance alone, in alternating rounds (the load generator on the same cores).
 */
async function measureSecondInstance(env: Record<string, string>, service: Service, routes: Record<string, LoadOptions>): Promise<void> {
  const names = Object.keys(routes).filter((route) => selected(`${route}, two instances`));
  if (names.length === 0) return;
  const second = await startService(env);
  const seconds = DURATION_S / ROUNDS;
  for (const route of names) {
    const one: number[] = [];
    const two: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      one.push((await load(service.url, { ...routes[route], seconds })).requestsPerSecond);
      two.push(await load([service.url, second.url], { ...routes[route], seconds }));
    }
    record({
      scenario: `${route}, two instances`,
      ...median(two, (round) => round.requestsPerSecond),
      failed: two.find((round) => round.failed)?.failed,
      limit: { name: 'one instance', perSecond: median(one, (perSecond) => perSecond) },
      note: 'connections shared by two instances on one database',
    });
  }
  await second.stop();
}

async function runScenarios(dataDir: string, databaseUrl: string): Promise<void> {
  const kek = randomBytes(32);
  const tenant = newTenant();
  const env = {
    DATABASE_URL: databaseUrl,
    KEY_ENCRYPTION_KEY: kek.toString('base64'),
    BOOTSTRAP_TENANT_ID: tenant.tenantId,
    BOOTSTRAP_API_KEY: tenant.apiKey,
    // Shipped defaults otherwise: LOG_LEVEL info, metrics on, RATE_LIMIT_WRITES 600/60 and RATE_LIMIT_READS off.
    RSA_POOL_SIZES: 'off',
  };
  const service = await startService(env);
  const { signingKeyId, userToken } = await seedTenantThroughApi(service, tenant);
  const bigTenant = await seedBigTenant(databaseUrl, kek);

  process.stderr.write('measuring limits and scenarios\n');
  const rawRsa2048 = rawLimit('crypto.generateKeyPair RSA-2048', () => generateKeyPairAsync('rsa', { modulusLength: 2048 }), RSA_GENERATIONS);
  await measureReads(service, databaseUrl, dataDir, tenant, signingKeyId);
  await measureSigning(service, tenant, signingKeyId, bigTenant);
  await measurePostQuantum(service, databaseUrl);
  await scenario('GET /keys (10 user keys)', service, { path: '/keys', headers: { authorization: `Bearer ${userToken}` } });
  await measureGeneration(service, tenant, rawRsa2048);
  await measurePages(service, tenant, bigTenant);
  await measureSecondInstance(env, service, {
    'GET /key/:id': { path: `/key/${signingKeyId}`, headers: tenantHeaders(tenant) },
    'POST /key/:id/sign ES256': {
      path: `/key/${signingKeyId}/sign`,
      method: 'POST',
      headers: tenantHeaders(tenant),
      body: { payload: { sub: 'bench' } },
    },
  });
  await manyTenants(service, databaseUrl, kek, {
    path: `/key/${signingKeyId}/sign`,
    headers: tenantHeaders(tenant),
    body: { payload: { sub: 'hot' } },
  });
  // The scenarios below start services of their own, alone on the machine.
  await stopAll();
  await measureWarmRsaPool(env, tenant, rawRsa2048);
  await measureReadsDuringRsa4096(env, tenant, signingKeyId);
  await measureWebhooks(env, databaseUrl);
  await measureHsm(env, dataDir);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyservice-bench-'));
  process.stderr.write(`bench${QUICK ? ' (quick)' : ''}: embedded PostgreSQL in ${dataDir}\n`);
  const database = await startEmbeddedPostgres(dataDir, await freePort());
  try {
    await runScenarios(dataDir, database.url);
  } finally {
    await stopAll();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  report();
}

function targetCell(row: Measured): string {
  const targets: string[] = [];
  if (row.limit?.target !== undefined) {
    const missed = row.requestsPerSecond / row.limit.perSecond < row.limit.target;
    targets.push(`${row.limit.target * 100}%${missed ? ' (missed)' : ''}`);
  }
  if (row.p99TargetMs !== undefined) {
    const missed = row.p99 === undefined || row.p99 >= row.p99TargetMs;
    targets.push(`p99 < ${row.p99TargetMs} ms${missed ? ' (missed)' : ''}`);
  }
  return targets.join('; ');
}

function tableRow(row: Measured): string[] {
  return [
    row.scenario,
    row.requestsPerSecond.toFixed(0),
    row.p50?.toFixed(1) ?? '',
    row.p99?.toFixed(1) ?? '',
    row.peakRssMb?.toString() ?? '',
    row.limit ? `${row.limit.name}: ${row.limit.perSecond.toFixed(0)}/s` : '',
    row.limit ? `${((row.requestsPerSecond / row.limit.perSecond) * 100).toFixed(0)}%` : '',
    targetCell(row),
    row.failed ? `FAILED: ${row.failed}` : 'ok',
    row.note ?? '',
  ];
}

function report(): void {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'limit (same run)', 'ours / limit', 'target', 'status', 'note'];
  console.log(
    `\nKey service benchmark${QUICK ? ' (quick)' : ''}: ${cpus().length} cores, Node ${process.version}, ${CONNECTIONS} connections, ${DURATION_S} s per timed scenario (${ROUNDS} alternating rounds against an HTTP limit)\n`,
  );
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const row of results) console.log(`| ${tableRow(row).join(' | ')} |`);
  const failed = results.filter((row) => row.failed);
  if (failed.length > 0) console.error(`\n${failed.length} scenario(s) broken`);
}

// Explicit exits: open handles (autocannon's, the pool's) would otherwise keep the process alive.
main().then(
  () => process.exit(results.some((row) => row.failed) ? 1 : 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
