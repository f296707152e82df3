import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Debian's SoftHSM2 library (installed by scripts/ensure-softhsm.sh). */
export const SOFTHSM_MODULE = process.env.SOFTHSM2_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '5678';

export interface SoftHsmToken {
  label: string;
  /** PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN for the service. */
  env: Record<string, string>;
  pin: string;
  /** OpenSC's pkcs11-tool on this token, logged in: a second implementation looking at what the service made. */
  pkcs11Tool(...args: string[]): string;
  /** Takes the token away (its folder moved out of SoftHSM's sight), as a pulled HSM or a cut network would. */
  remove(): void;
  restore(): void;
  cleanup(): void;
}

/**
 * A fresh SoftHSM2 token for one test file, labelled uniquely, in the run's SoftHSM2 configuration (SOFTHSM2_CONF,
 * set by the global setup: the library reads the real environment, which a test file cannot change).
 */
export function createSoftHsmToken(name: string): SoftHsmToken {
  const conf = process.env.SOFTHSM2_CONF;
  if (!conf) throw new Error('SOFTHSM2_CONF is not set: the global test setup makes it');
  const label = `${name}-${process.pid}`.slice(0, 32);
  const tokens = join(dirname(conf), 'tokens');
  const away = join(dirname(conf), 'away');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '1234', '--pin', PIN], { stdio: 'pipe' });
  // Each token is a folder; its token.object holds its label.
  const folder = readdirSync(tokens).find((entry) => readFileSync(join(tokens, entry, 'token.object')).includes(Buffer.from(label)))!;
  return {
    label,
    env: { PKCS11_MODULE: SOFTHSM_MODULE, PKCS11_TOKEN_LABEL: label, PKCS11_PIN: PIN },
    pin: PIN,
    pkcs11Tool: (...args) =>
      execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, '--login', '--pin', PIN, ...args], {
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    remove: () => renameSync(join(tokens, folder), `${away}-${folder}`),
    restore: () => renameSync(`${away}-${folder}`, join(tokens, folder)),
    cleanup: () => rmSync(join(tokens, folder), { recursive: true, force: true }),
  };
}
