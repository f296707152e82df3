import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
