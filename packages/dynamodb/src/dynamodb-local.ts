import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { freePort } from '@citus/kit';
import { dirname, join } from 'node:path';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * Starts DynamoDB Local, in memory, on a free port, for tests and development. The jar is the one
 * the npm package `amplify-dynamodb-simulator` ships (a root devDependency), run with the `java` on
 * the PATH (Java 17). The package's own `launch()` is not used: it looks for the jar under the
 * Amplify CLI's `~/.amplify/lib`, which only an Amplify CLI install creates.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const require = createRequire(import.meta.url);
  const emulator = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const port = await freePort();
  // -disableTelemetry: DynamoDB Local otherwise reports usage over the network.
  const args = ['-Djava.library.path=./DynamoDBLocal_lib', '-jar', 'DynamoDBLocal.jar', '-port', String(port), '-inMemory', '-disableTelemetry'];
  const child = spawn('java', args, { cwd: emulator, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitUntilListening(child, port, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => stop(child) };
}

async function waitUntilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run java for DynamoDB Local (is Java 17 installed?): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with ${code}:\n${output()}`)));
  });
  spawnError.catch(() => undefined);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await Promise.race([accepts(port), spawnError])) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`DynamoDB Local did not listen on ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
