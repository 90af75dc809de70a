import { ConfigError } from '@citus/kit';
import { DataDirInUseError, SchemaTooNewError } from '@citus/sqlite';
import { startPlatform } from './platform.js';

try {
  const platform = await startPlatform(process.env);
  platform.shutdown.listen();
} catch (error) {
  // Like bad config, these need the operator, not a restart loop: the same exit code.
  if (error instanceof ConfigError || error instanceof SchemaTooNewError || error instanceof DataDirInUseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
