import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder of the service's package.json, above this file in src/ (ts-jest, ts-node) and in dist/src/ (built, the image). */
export function packageRoot(): string | undefined {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}
