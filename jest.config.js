// Unit and integration tests (real TLS, real SQLite files); browser, system, DynamoDB and Docker tests have their own configs.
const workspaces = {
  contracts: 'packages/contracts',
  kit: 'packages/kit',
  sqlite: 'packages/sqlite',
  dynamodb: 'packages/dynamodb',
  'aws-iot': 'packages/aws-iot',
  pki: 'packages/pki',
  'blob-store': 'packages/blob-store',
  'device-agent': 'packages/device-agent',
  portal: 'services/portal',
  'device-lifecycle': 'services/device-lifecycle',
  'iot-hub': 'services/iot-hub',
  indexer: 'services/indexer',
  'app-registry': 'services/app-registry',
  analytics: 'services/analytics',
  embedded: 'services/embedded',
};

export const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  // Jest links ESM imports of CommonJS packages in its own order; load the Reflect polyfill that
  // @peculiar/x509 needs before anything (packages/pki imports it first for the real runtime).
  setupFiles: ['reflect-metadata'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // Tests import the workspace packages' sources, so no build is needed to run them.
  reporters: ['default', '<rootDir>/scripts/plain-summary-reporter.js'],
  moduleNameMapper: {
    ...Object.fromEntries(
      Object.entries(workspaces).map(([name, dir]) => [`^@citus/${name}$`, `<rootDir>/${dir}/src/index.ts`]),
    ),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  ...shared,
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.test.ts', '<rootDir>/bench/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.test\\.ts$', '\\.system\\.test\\.ts$', '\\.dynamodb\\.test\\.ts$', '\\.docker\\.test\\.ts$'],
  testTimeout: 30_000,
};
