import { execFileSync } from 'node:child_process';
import { generateKeyPair, sign, verify } from 'node:crypto';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { generateRsaKeyPair, rsaGeneratorPid, RSA_GENERATOR_NICE } from './rsa-generator';

/** The nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
}

/**
 * Whether this Node leaves an error in OpenSSL's queue after KeyObject.equals on keys of two types, so that the next
 * private-key load throws "different key types" (Node 20 and 24.22 do), asked of a child process on the same binary.
 */
function equalsPoisonsOpenSsl(): boolean {
  const probe = `const c = require('node:crypto');
    const make = require('node:util').promisify(c.generateKeyPair);
    Promise.all([make('rsa', { modulusLength: 1024 }), make('ec', { namedCurve: 'P-256' })]).then(([rsa, ec]) => {
      const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' });
      ec.publicKey.equals(rsa.publicKey);
      try { c.createPrivateKey(pem); process.stdout.write('clean'); } catch { process.stdout.write('poisoned'); }
    });`;
  return execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }) === 'poisoned';
}

/** What the service's environment holds: the generator must start with none of it. */
const SECRETS = {
  KEY_ENCRYPTION_KEY: 'kek-secret-value',
  PKCS11_PIN: 'pin-secret-value',
  DATABASE_URL: 'postgres://user:db-secret-value@host/db',
  BOOTSTRAP_API_KEY: 'bootstrap-secret-value',
  METRICS_TOKEN: 'metrics-secret-value',
  NODE_OPTIONS: '--max-old-space-size=100',
};

describe('RSA generator process', () => {
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, SECRETS));
  afterAll(() => {
    for (const name of Object.keys(SECRETS)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it('makes a working pair of the asked length in another process, whose generating threads run at the lowest priority', async () => {
    const { publicKey, privateKey } = await generateRsaKeyPair(2048);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const signature = sign('sha256', Buffer.from('data'), privateKey);
    expect(verify('sha256', Buffer.from('data'), publicKey, signature)).toBe(true);

    const pid = rsaGeneratorPid()!;
    expect(pid).not.toBe(process.pid);
    // The main thread and libuv's pool threads (which ran the generation) carry the low priority.
    const lowered = threadNiceValues(pid).filter((nice) => nice === RSA_GENERATOR_NICE);
    expect(lowered.length).toBeGreaterThanOrEqual(2);
    expect(threadNiceValues(process.pid)[0]).toBeLessThan(RSA_GENERATOR_NICE);
  });

  it('starts with an empty environment (but the IPC channel Node adds): none of the service’s secrets, nor NODE_OPTIONS', async () => {
    await generateRsaKeyPair(2048);
    const environment = readFileSync(`/proc/${rsaGeneratorPid()!}/environ`, 'utf8');
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(environment).not.toContain(name);
      expect(environment).not.toContain(value);
    }
    // Only what Node itself sets for the IPC channel.
    const names = environment
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.split('=')[0]);
    expect(names.sort()).toEqual(['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE']);
  });

  it('runs generations side by side and gives each its own pair', async () => {
    const pairs = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(3072)]);
    expect(pairs.map((pair) => pair.privateKey.asymmetricKeyDetails?.modulusLength)).toEqual([2048, 3072]);
  });

  it('fails a generation whose reply cannot be read, and goes on: an error in its handler does not end the process', async () => {
    const [{ publicKey: ec }, { publicKey: rsa }] = await Promise.all([
      promisify(generateKeyPair)('ec', { namedCurve: 'P-256' }),
      promisify(generateKeyPair)('rsa', { modulusLength: 1024 }),
    ]);
    const generation = generateRsaKeyPair(2048);
    // Where equals on keys of two types leaves an error in OpenSSL's queue, the next private-key load (the reply's) throws.
    const poisoned = equalsPoisonsOpenSsl();
    expect(ec.equals(rsa)).toBe(false);
    if (poisoned) await expect(generation).rejects.toThrow('RSA generation failed');
    else await generation;
    expect((await generateRsaKeyPair(2048)).privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('fails the pending generations when the process dies, and starts a new one for the next', async () => {
    await generateRsaKeyPair(2048);
    const first = rsaGeneratorPid()!;
    const doomed = generateRsaKeyPair(4096);
    process.kill(first, 'SIGKILL');
    await expect(doomed).rejects.toThrow('RSA generator process exited');
    await generateRsaKeyPair(2048);
    expect(rsaGeneratorPid()).not.toBe(first);
  });
});
