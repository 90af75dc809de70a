// Unit and integration tests (real TLS, real SQLite files); browser tests have their own config.
const workspaces = {
  contracts: 'packages/contracts',
  kit: 'packages/kit',
  sqlite: 'packages/sqlite',
  pki: 'packages/pki',
  'device-agent': 'packages/device-agent',
  portal: 'services/portal',
  'device-lifecycle': 'services/device-lifecycle',
  'iot-hub': 'services/iot-hub',
  embedded: 'services/embedded',
};

export const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // Tests import the workspace packages' sources, so no build is needed to run them.
  moduleNameMapper: {
    ...Object.fromEntries(
      Object.entries(workspaces).map(([name, dir]) => [`^@citus/${name}$`, `<rootDir>/${dir}/src/index.ts`]),
    ),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  ...shared,
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.test\\.ts$'],
  testTimeout: 30_000,
};
