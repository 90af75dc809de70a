import { randomBytes } from 'node:crypto';
import { waitFor } from '../support/async.js';
import { assertRunning, profileOptions, spawnNode, stopChild } from '../support/child-process.js';
import { freePort } from '../support/net.js';
import { repoPath } from '../support/paths.js';
import { makeTempDir } from '../support/temp-dir.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;

export interface PlatformProcess {
  baseUrl: string;
  mqttPort: number;
  adminPassword: string;
  /** Stops the platform (it drains its writes on SIGTERM) and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * The embedded platform, built, in its own process so that it and the load generator do not
 * share an event loop: fresh data dir, free ports, answering `GET /healthz` with 200 when ready.
 */
export async function startPlatformProcess(profileDir: string | undefined): Promise<PlatformProcess> {
  const dataDir = makeTempDir('citus-bench-platform-');
  const [httpPort, mqttPort] = [await freePort(HOST), await freePort(HOST)];
  const adminPassword = `bench-${randomBytes(12).toString('hex')}`;
  const child = spawnNode(repoPath('services/embedded/dist/main.js'), {
    nodeOptions: profileOptions(profileDir, 'platform'),
    env: {
      ...process.env,
      PORT: String(httpPort),
      HOST,
      MQTT_TLS_PORT: String(mqttPort),
      MQTT_HOST: HOST,
      CITUS_DATA_DIR: dataDir.path,
      CITUS_ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
    },
  });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    dataDir.remove();
  };
  const baseUrl = `http://${HOST}:${httpPort}`;
  try {
    await waitFor('the platform to answer /healthz', async () => {
      assertRunning(child, 'the platform');
      return fetch(`${baseUrl}/healthz`).then((response) => response.ok, () => false);
    }, READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, mqttPort, adminPassword, stop };
}
