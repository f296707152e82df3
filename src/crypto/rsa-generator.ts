import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** The nice value of the generating process: the lowest priority, so the service's own thread always comes first. */
export const RSA_GENERATOR_NICE = 19;
/** An idle generator process exits after this long; the next generation starts a new one (about 50 ms). */
const IDLE_MS = 60_000;

/**
 * The generator's program. It lowers its priority before libuv's thread pool exists: the pool's threads
 * inherit it, and generateKeyPair runs on them. Keys travel back as DER over the IPC channel only. A terminal's
 * Ctrl-C reaches the whole process group: the generator leaves it to the service, whose exit ends it (disconnect),
 * rather than dying under a refill and having the service log that while it closes.
 */
const PROGRAM = `
require('node:os').setPriority(${RSA_GENERATOR_NICE});
const { generateKeyPair } = require('node:crypto');
const encodings = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } };
process.on('message', ({ id, modulusLength }) =>
  generateKeyPair('rsa', { modulusLength, ...encodings }, (error, publicKey, privateKey) =>
    process.send(error ? { id, error: error.message } : { id, publicKey, privateKey })));
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => undefined);
`;

interface Reply {
  id: number;
  publicKey?: Uint8Array;
  privateKey?: Uint8Array;
  error?: string;
}
interface Pending {
  resolve(pair: { publicKey: KeyObject; privateKey: KeyObject }): void;
  reject(error: Error): void;
}

let generator: ChildProcess | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const request of pending.values()) request.reject(error);
  pending.clear();
}

function start(): ChildProcess {
  // An empty environment: the service's holds its secrets (KEY_ENCRYPTION_KEY, PKCS11_PIN, DATABASE_URL, BOOTSTRAP_API_KEY, ...),
  // and the program needs none of it (nor NODE_OPTIONS, which could load code into it).
  const child = spawn(process.execPath, ['-e', PROGRAM], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env: {} });
  child.on('message', (reply: Reply) => {
    const request = pending.get(reply.id);
    pending.delete(reply.id);
    // An exception in an event handler would end the service: a reply that cannot be read fails its request only.
    try {
      request?.resolve(keyPairOf(reply));
    } catch (failure) {
      request?.reject(new Error(`RSA generation failed: ${(failure as Error).message}`));
    }
    settle();
  });
  const gone = (error?: Error) => {
    // A child let go while idle has nothing pending; the requests pending are the current child's.
    if (generator !== child) return;
    generator = undefined;
    failAll(error ?? new Error('RSA generator process exited'));
  };
  child.on('error', gone);
  child.on('exit', () => gone());
  // Never what keeps the service (or a CLI run) alive; it exits when we do (disconnect).
  child.unref();
  return child;
}

function keyPairOf({ publicKey, privateKey, error }: Reply): { publicKey: KeyObject; privateKey: KeyObject } {
  if (error || !publicKey || !privateKey) throw new Error(error ?? 'no key');
  return {
    publicKey: createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }),
    privateKey: createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' }),
  };
}

/** While a generation is pending the channel keeps the process alive; once idle, a timer lets the child go. */
function settle(): void {
  clearTimeout(idleTimer);
  if (!generator?.channel) return;
  if (pending.size > 0) {
    generator.channel.ref();
    return;
  }
  generator.channel.unref();
  const idle = generator;
  idleTimer = setTimeout(() => {
    if (generator === idle && pending.size === 0) idle.disconnect();
  }, IDLE_MS).unref();
}

/**
 * An RSA key pair made in a child process at the lowest CPU priority. On libuv's thread pool of the
 * service itself, a 4096-bit generation (about a second of CPU) competes as an equal with the event
 * loop's thread; on a machine with few cores that shows as tens of milliseconds of delay on every request.
 */
export function generateRsaKeyPair(modulusLength: number): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (!generator?.connected) generator = start();
  const id = nextId++;
  const result = new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) => pending.set(id, { resolve, reject }));
  generator.send({ id, modulusLength });
  settle();
  return result;
}

/** The generator's process id while one runs. */
export function rsaGeneratorPid(): number | undefined {
  return generator?.pid;
}
