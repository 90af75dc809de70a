import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { waitFor } from './async.js';
import { assertRunning, profileOptions, spawnNode, stopChild } from './child-process.js';
import { freePort } from './net.js';
import { repoPath } from './paths.js';
import { makeTempDir } from './temp-dir.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;

export interface PlatformProcess {
  baseUrl: string;
  mqttPort: number;
  adminPassword: string;
  /** The data dir the platform runs on. */
  dataDir: string;
  child: ChildProcess;
  /** Stops the platform (it drains its writes on SIGTERM) and removes its data dir unless it was given. */
  stop(): Promise<void>;
}

export interface PlatformProcessOptions {
  /** When set, the child runs with `--cpu-prof` and writes `<profileName>.cpuprofile` here. */
  profileDir?: string;
  profileName?: string;
  /** More node options, before the script (e.g. `--expose-gc`, `--import <preload>`). */
  nodeOptions?: string[];
  /** An IPC channel to the child, for a preloaded module that reports over `process.send`. */
  ipc?: boolean;
  /**
   * A data dir and admin password of the caller's, kept when the platform stops: a later platform
   * process can start on the same data. Without it, a fresh temp dir, removed on stop.
   */
  data?: { dataDir: string; adminPassword: string };
  /** More environment for the platform (settings, or e.g. `NODE_EXTRA_CA_CERTS`). */
  env?: Record<string, string>;
}

/**
 * How `npm start`, compose's platform service and the k8s citus-platform Deployment run the
 * platform's node (packages/aws-iot/test/platform-launch-options.test.ts keeps them equal).
 */
export const PLATFORM_NODE_OPTIONS = ['--max-semi-space-size=64'];

/**
 * The embedded platform, built, in its own process so that it and the load generator do not
 * share an event loop: fresh data dir, free ports, answering `GET /healthz` with 200 when ready.
 */
export async function startPlatformProcess(options: PlatformProcessOptions = {}): Promise<PlatformProcess> {
  const dataDir = options.data ? { path: options.data.dataDir, remove: () => undefined } : makeTempDir('citus-bench-platform-');
  const [httpPort, mqttPort] = [await freePort(HOST), await freePort(HOST)];
  const adminPassword = options.data?.adminPassword ?? `bench-${randomBytes(12).toString('hex')}`;
  const child = spawnNode(repoPath('services/embedded/dist/main.js'), {
    ipc: options.ipc,
    nodeOptions: [...PLATFORM_NODE_OPTIONS, ...profileOptions(options.profileDir, options.profileName ?? 'platform'), ...(options.nodeOptions ?? [])],
    env: {
      ...process.env,
      PORT: String(httpPort),
      HOST,
      MQTT_TLS_PORT: String(mqttPort),
      MQTT_HOST: HOST,
      CITUS_DATA_DIR: dataDir.path,
      CITUS_ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
      ...options.env,
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
  return { baseUrl, mqttPort, adminPassword, dataDir: dataDir.path, child, stop };
}
