import { existsSync } from 'node:fs';
import { citus, CITUS_CLI, PLATFORM_MAIN } from './citus-cli.js';
import { ADMIN_PASSWORD, Api, bootTestPlatform, declareAndActivate } from './test-platform.js';

/** Writes to `target` a backup of a freshly started platform holding one activated device (needs the built CLI and platform). */
export async function backUpFreshPlatform(target: string): Promise<void> {
  for (const built of [CITUS_CLI, PLATFORM_MAIN]) if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
  const platform = await bootTestPlatform();
  try {
    await declareAndActivate(await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD));
    expect(await citus('backup', target, '--data-dir', platform.dataDir)).toMatchObject({ code: 0 });
  } finally {
    await platform.destroy();
  }
}
