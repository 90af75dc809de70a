// Docker engine tests: need a running dockerd and Debian's busybox-static (the test image is built
// from it, no registry is reached), which .ci/run installs and starts; Swarm is initialised on
// 127.0.0.1 by the tests when it is not active.
import { shared } from './jest.config.js';

export default {
  ...shared,
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.docker.test.ts'],
  testTimeout: 120_000,
  // One engine: suites would race each other for Swarm and host ports.
  maxWorkers: 1,
};
