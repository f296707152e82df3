import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { callerError } from './eventually';

const ROOT = join(__dirname, '..', '..');
/** The built entry points, as `npm start` and `npm run cli` run them (npm test builds first). */
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

/** A clean environment: nothing of the developer's own DATABASE_URL or .env leaks into a spawned service. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // SOFTHSM2_CONF: the run's SoftHSM2 tokens (test/setup/global-setup.ts), for services given an HSM.
  const { PATH, HOME, SOFTHSM2_CONF } = process.env;
  return { PATH, HOME, NO_COLOR: '1', ...(SOFTHSM2_CONF ? { SOFTHSM2_CONF } : {}), ...extra };
}

export function runCli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningService {
  child: ChildProcess;
  output(): string;
  /**
   * The first match of `pattern` in the output; fails, naming the pattern, once `timeoutMs` has passed or the process
   * has ended without printing it (its whole output read first, so a last line written at exit is not missed).
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/**
 * `ownProcessGroup`: the service leads a process group, as a command in a terminal does (for a Ctrl-C to the group).
 * `node`: the Node binary to run it on (another major than the tests'); this one by default.
 */
export function startService(env: Record<string, string>, cwd = ROOT, { ownProcessGroup = false, node = process.execPath } = {}): RunningService {
  const child = spawn(node, [MAIN], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: ownProcessGroup });
  let output = '';
  const changed = new EventTarget();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    changed.dispatchEvent(new Event('output'));
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  // 'close' comes after 'exit' once stdout and stderr have been read to their end.
  let ended = false;
  child.once('close', () => {
    ended = true;
    changed.dispatchEvent(new Event('output'));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) => {
    const failure = callerError(waitFor);
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      const settle = () => {
        const match = output.match(pattern);
        if (!match && !ended) return;
        clearTimeout(deadline);
        changed.removeEventListener('output', settle);
        if (match) resolve(match);
        else reject(failure(`The service exited (code ${child.exitCode}) without printing ${pattern}; its output:\n${output}`));
      };
      const deadline = setTimeout(() => {
        changed.removeEventListener('output', settle);
        reject(failure(`Not printed within ${timeoutMs} ms: ${pattern}; the output so far:\n${output}`));
      }, timeoutMs);
      changed.addEventListener('output', settle);
      settle();
    });
  };
  return { child, output: () => output, exited, waitFor };
}
