import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from '../../tools/free-port';

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set, else an embedded one in a temporary folder.
 * Each test file then creates its own database in it (test/support/test-app.ts).
 */
export default async function globalSetup(): Promise<void> {
  // The browser test drives Debian's Chromium: installed here when missing (and possible).
  execFileSync(join(__dirname, '..', '..', 'scripts', 'ensure-chromium.sh'), { stdio: 'inherit' });
  // The HSM tests use Debian's SoftHSM2 and OpenSC's pkcs11-tool: installed here when missing.
  execFileSync(join(__dirname, '..', '..', 'scripts', 'ensure-softhsm.sh'), { stdio: 'inherit' });
  // One SoftHSM2 configuration per run, in the environment every worker inherits (the library reads it from the
  // real environment, which a test file cannot change); each test file makes a token of its own in it.
  const softHsmDir = mkdtempSync(join(tmpdir(), 'keyservice-softhsm-'));
  mkdirSync(join(softHsmDir, 'tokens'));
  writeFileSync(
    join(softHsmDir, 'softhsm2.conf'),
    `directories.tokendir = ${join(softHsmDir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = join(softHsmDir, 'softhsm2.conf');
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'keyservice-test-'));
  const database = await startEmbeddedPostgres(dataDir, await freePort());
  process.env.TEST_ADMIN_DATABASE_URL = database.url;
  process.env.TEST_EMBEDDED_DATA_DIR = dataDir;
  (globalThis as { stopTestDatabase?: () => Promise<void> }).stopTestDatabase = () => database.stop();
}
