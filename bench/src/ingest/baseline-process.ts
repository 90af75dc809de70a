import { once } from 'node:events';
import { withTimeout } from '../support/async.js';
import { profileOptions, spawnNode, stopChild } from '../support/child-process.js';
import { repoPath } from '../support/paths.js';
import { PLATFORM_NODE_OPTIONS } from '../support/platform-process.js';
import { makeTempDir } from '../support/temp-dir.js';

export interface BaselineProcess {
  /** The broker's process id, for its CPU use; undefined only if it could not be started. */
  pid: number | undefined;
  mqttPort: number;
  caPem: string;
  stop(): Promise<void>;
}

/** The broker-only baseline (`baseline-broker.js`) in its own process, once it listens; its node runs as the platform's does. */
export async function startBaselineProcess(profileDir: string | undefined): Promise<BaselineProcess> {
  const caDir = makeTempDir('citus-bench-baseline-');
  const child = spawnNode(repoPath('bench/dist/baseline-broker.js'), {
    ipc: true,
    nodeOptions: [...PLATFORM_NODE_OPTIONS, ...profileOptions(profileDir, 'baseline')],
    env: { ...process.env, BENCH_CA_DIR: caDir.path },
  });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    caDir.remove();
  };
  const ready = Promise.race([
    once(child, 'message') as Promise<[{ port: number; caPem: string }]>,
    once(child, 'exit').then(() => {
      throw new Error('the baseline broker exited before it listened');
    }),
  ]);
  try {
    const [{ port, caPem }] = await withTimeout(ready, 30_000, 'timed out waiting for the baseline broker');
    return { pid: child.pid, mqttPort: port, caPem, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
