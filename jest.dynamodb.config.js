// DynamoDB Local tests: need Java 17 (`apt-get install openjdk-17-jre-headless`), which .ci/run
// installs; the DynamoDB Local jar comes with the npm devDependency amplify-dynamodb-simulator.
import { shared } from './jest.config.js';

export default {
  ...shared,
  testMatch: ['<rootDir>/{packages,services}/*/test/**/*.dynamodb.test.ts'],
  testTimeout: 60_000,
};
