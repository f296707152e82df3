const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { dockerfileNodeMajor, isAtLeast, lowestVersionIn } = require('./node-of-major.cjs');

describe('isAtLeast', () => {
  it.each([
    ['v24.22.3', '24.7.0', true],
    ['v24.7.0', '24.7.0', true],
    ['v24.6.9', '24.7.0', false],
    ['v24.10.0', '24.9.0', true],
    ['v20.20.2', '24.15.0', false],
    ['v26.0.0', '24.15.0', true],
    ['24.15.1', '24.15.2', false],
  ])('%s against %s: %s (by number, part by part)', (version, minimum, expected) => {
    expect(isAtLeast(version, minimum)).toBe(expected);
  });

  it('refuses what is not a version', () => {
    expect(() => isAtLeast('', '24.7.0')).toThrow('not a Node version');
  });
});

describe('lowestVersionIn', () => {
  it.each([
    ['^24.15.0 || >=26.0.0', '24.15.0'],
    ['>=26.0.0 || ^24.15.0', '24.15.0'],
    ['^22.22.3 || ^24.15.0 || >=26.0.0', '22.22.3'],
    ['>=24.10.0', '24.10.0'],
  ])('%s starts at %s', (range, lowest) => {
    expect(lowestVersionIn(range)).toBe(lowest);
  });

  it('is this package’s engines range at ML-DSA’s 24.7 or later (jose signs ML-DSA from Node 24.7)', () => {
    const { engines } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(isAtLeast(lowestVersionIn(engines.node), '24.7.0')).toBe(true);
  });
});

describe('dockerfileNodeMajor', () => {
  it('reads the major every FROM line names', () => {
    expect(dockerfileNodeMajor('FROM node:24-bookworm-slim AS build\nRUN npm ci\nFROM node:24-bookworm-slim\nCMD ["node"]')).toBe('24');
  });

  it.each([
    ['FROM node:24-slim AS build\nFROM node:22-slim', 'node:24-slim, node:22-slim'],
    ['FROM debian:bookworm', 'debian:bookworm'],
    ['RUN true', 'no FROM line'],
  ])('refuses %j: the stages must agree on one Node major', (dockerfile, named) => {
    expect(() => dockerfileNodeMajor(dockerfile)).toThrow(named);
  });

  it('reads 24 from this repository’s Dockerfile (what the image ships)', () => {
    expect(dockerfileNodeMajor(readFileSync(join(__dirname, '..', 'Dockerfile'), 'utf8'))).toBe('24');
  });
});
