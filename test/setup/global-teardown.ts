import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { stopTestDatabase?: () => Promise<void> }).stopTestDatabase?.();
  if (process.env.TEST_EMBEDDED_DATA_DIR) rmSync(process.env.TEST_EMBEDDED_DATA_DIR, { recursive: true, force: true });
}
