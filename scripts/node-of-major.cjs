// The Node the project's scripts run on: the major the Docker image ships (its FROM lines), fetched from the npm
// registry when this machine's Node is older than package.json's engines allow. CommonJS, so that jest can load it
// for its unit spec (node-of-major.spec.cjs); image-smoke.mjs and on-node.mjs import it.
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

/** The Node major of every `FROM node:<major>…` line of a Dockerfile; they must agree. */
function dockerfileNodeMajor(dockerfile) {
  const bases = [...dockerfile.matchAll(/^\s*FROM\s+(\S+)/gim)].map((match) => match[1]);
  const majors = new Set(bases.map((base) => /^node:(\d+)/.exec(base)?.[1]));
  if (bases.length === 0 || majors.size !== 1 || majors.has(undefined))
    throw new Error(`every stage must be FROM node:<major>... of one major, got ${bases.join(', ') || 'no FROM line'}`);
  return [...majors][0];
}

/** `v24.22.3` or `24.7.0` as [24, 22, 3]. */
function versionParts(version) {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`not a Node version: ${version}`);
  return match.slice(1).map(Number);
}

/** Whether a version is the minimum or later. */
function isAtLeast(version, minimum) {
  const [have, need] = [versionParts(version), versionParts(minimum)];
  const differs = have.findIndex((part, index) => part !== need[index]);
  return differs === -1 || have[differs] > need[differs];
}

/** The lowest version an `engines` range names (`^24.15.0 || >=26.0.0` gives 24.15.0): below it, nothing is supported. */
function lowestVersionIn(range) {
  const versions = [...range.matchAll(/\d+\.\d+\.\d+/g)].map((match) => match[0]);
  if (versions.length === 0) throw new Error(`no version in the range ${range}`);
  return versions.reduce((lowest, version) => (isAtLeast(version, lowest) ? lowest : version));
}

/**
 * This major's Node from the npm registry (the package node-<platform>-<arch>, which ships bin/node and the headers
 * native modules build against), cached between runs in ~/.cache/key-service/node-<major>; fetched again when the
 * cached one is older than `atLeast`. Gives the binary and the package folder (npm's nodedir for node-gyp).
 */
function nodeOfMajor(major, { atLeast = '0.0.0', log = () => {} } = {}) {
  const prefix = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'key-service', `node-${major}`);
  const packageName = `node-${process.platform}-${process.arch}`;
  const packageDir = join(prefix, 'node_modules', packageName);
  const binary = join(packageDir, 'bin', 'node');
  const version = () => spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  // A binary that does not answer its version (an install cut short) is fetched again, as a missing one is.
  const current = existsSync(binary) ? version() : '';
  if (!/^v\d+\.\d+\.\d+/.test(current) || !isAtLeast(current, atLeast)) {
    log(`fetching Node ${major} (npm package ${packageName}@${major})`);
    mkdirSync(prefix, { recursive: true });
    const argv = ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `${packageName}@${major}`];
    const result = spawnSync('npm', argv, { cwd: prefix, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) throw new Error(`"npm ${argv.join(' ')}" failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    if (!isAtLeast(version(), atLeast)) throw new Error(`${packageName}@${major} is ${version()}, older than ${atLeast}`);
  }
  return { binary, packageDir, version: version() };
}

module.exports = { dockerfileNodeMajor, isAtLeast, lowestVersionIn, nodeOfMajor };
