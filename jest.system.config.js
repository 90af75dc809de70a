// System tests with independent MQTT clients: need Debian's mosquitto-clients
// (`apt-get install mosquitto-clients`), which .ci/run installs.
import { shared } from './jest.config.js';

export default {
  ...shared,
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.system.test.ts'],
  testTimeout: 60_000,
};
