// Browser tests: need Debian's Chromium (`apt-get install chromium`), which .ci/run installs.
import { shared } from './jest.config.js';

export default {
  ...shared,
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.browser.test.ts'],
  testTimeout: 60_000,
};
