// First: worker threads get V8's default young generation, not the launch option's.
import './young-generation.js';
import { ConfigError } from '@citus/kit';
import { DataDirInUseError, InterruptedRestoreError, SchemaTooNewError } from '@citus/sqlite';
import { startServices } from './platform.js';

try {
  const platform = await startServices(process.env);
  platform.shutdown.listen();
} catch (error) {
  // Like bad config, these need the operator, not a restart loop: the same exit code.
  if (
    error instanceof ConfigError ||
    error instanceof SchemaTooNewError ||
    error instanceof DataDirInUseError ||
    error instanceof InterruptedRestoreError
  ) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
