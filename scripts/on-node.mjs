#!/usr/bin/env node
// Runs a command on a Node that package.json's engines allow (ML-DSA needs 24.7 or later): this one when it is new
// enough, else the Docker image's Node major from the npm registry, first on PATH, so that `npm`, `jest` and every
// `process.execPath` child run on it, and with npm's nodedir at its headers, so that `npm ci` builds the native
// module (pkcs11js) against it (/root/.npmrc may name another Node's). Exits with the command's status.
//
//   node scripts/on-node.mjs npm ci
//   node scripts/on-node.mjs jest test/key-usage.e2e-spec.ts
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { dockerfileNodeMajor, isAtLeast, lowestVersionIn, nodeOfMajor } = require('./node-of-major.cjs');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line) => process.stderr.write(`on-node: ${line}\n`);

const [command, ...args] = process.argv.slice(2);
if (!command) {
  log('usage: node scripts/on-node.mjs <command> [arguments...]');
  process.exit(2);
}
const minimum = lowestVersionIn(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node);
let env = process.env;
if (!isAtLeast(process.version, minimum)) {
  const major = dockerfileNodeMajor(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  let node;
  try {
    node = nodeOfMajor(major, { atLeast: minimum, log });
  } catch (error) {
    log(`this Node is ${process.version}, older than ${minimum}, and Node ${major} could not be fetched (install it yourself): ${error.message}`);
    process.exit(1);
  }
  log(`this Node is ${process.version}, older than ${minimum}: running "${command}" on Node ${node.version} (${node.binary})`);
  env = { ...process.env, PATH: `${dirname(node.binary)}${delimiter}${process.env.PATH}`, npm_config_nodedir: node.packageDir };
}
const result = spawnSync(command, args, { stdio: 'inherit', env });
if (result.error) {
  log(`could not run "${command}": ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
