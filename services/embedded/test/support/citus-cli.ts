import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { repoPath } from '../../../../bench/src/support/paths.js';

export const CITUS_CLI = repoPath('services/embedded/dist/cli/citus.js');
export const PLATFORM_MAIN = repoPath('services/embedded/dist/main.js');

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A built script as a child process, run to its exit, with what it wrote. */
export async function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<NodeRun> {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** The built `citus` CLI. */
export const citus = (...args: string[]): Promise<NodeRun> => runNode(CITUS_CLI, args);

/** The built platform on loopback and free ports, on the given data dir, run until it exits. */
export const runPlatformMain = (dataDir: string): Promise<NodeRun> =>
  runNode(PLATFORM_MAIN, [], {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_TLS_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    CITUS_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  });
