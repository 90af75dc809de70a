import { ConfigError } from '@citus/kit';
import { startPlatform } from './platform.js';

try {
  const platform = await startPlatform(process.env);
  platform.shutdown.listen();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
