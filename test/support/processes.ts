import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

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
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** `ownProcessGroup`: the service leads a process group, as a command in a terminal does (for a Ctrl-C to the group). */
export function startService(env: Record<string, string>, cwd = ROOT, { ownProcessGroup = false } = {}): RunningService {
  const child = spawn(process.execPath, [MAIN], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: ownProcessGroup });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const match = output.match(pattern);
          if (match) {
            clearInterval(poll);
            resolve(match);
          } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`did not see ${pattern} in:\n${output}`));
          }
        }, 50);
      });
    },
  };
}
