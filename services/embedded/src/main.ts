import { ConfigError } from '@citus/kit';
import { DataDirInUseError, InterruptedRestoreError, SchemaTooNewError } from '@citus/sqlite';
import { startServices } from './platform.js';
import { defaultYoungGenerationForWorkers } from './young-generation.js';

defaultYoungGenerationForWorkers();
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
