/**
 * The directions dependencies may take in src/ (npm run lint). ARCHITECTURE.md says the same in words:
 * features use common/, crypto/, database/ and config/, never the other way; no two folders use each other.
 */
const FEATURES = 'src/(audit|auth|console|fusionauth|health|metrics|openapi|tenants|tenant-keys|user-keys|webhooks)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Two top-level folders of src/ never use each other, directly or through a third.',
      scope: 'folder',
      from: { path: '^src/[^/]+$' },
      to: { path: '^src/[^/]+$', circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'crypto-is-pure',
      severity: 'error',
      comment: 'crypto/ holds pure functions: it uses nothing of the app but itself.',
      from: { path: '^src/crypto/' },
      to: { path: '^src/', pathNot: '^src/crypto/' },
    },
    {
      name: 'common-uses-no-feature',
      severity: 'error',
      comment: 'common/ serves every feature and knows none.',
      from: { path: '^src/common/' },
      to: { path: `^${FEATURES}` },
    },
    {
      name: 'foundations-use-no-feature',
      severity: 'error',
      comment: 'config/, database/, hsm/ and sealing/ sit under every feature.',
      from: { path: '^src/(config|database|hsm|sealing)/' },
      to: { path: `^${FEATURES}` },
    },
    {
      name: 'console-is-separate',
      severity: 'error',
      comment: 'The console (console/) is a client of the public HTTP API: it imports nothing of the service, nor the service of it.',
      from: { path: '^console/' },
      to: { path: '^src/' },
    },
    {
      name: 'service-is-not-the-console',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^console/' },
    },
    {
      name: 'console-uses-only-preact',
      severity: 'error',
      comment: 'The console ships Preact and its own code, nothing else.',
      from: { path: '^console/src/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^node_modules/preact/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
