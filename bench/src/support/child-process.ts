import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { onExit } from './exit-cleanup.js';

/** Every child this process started and has not yet seen exit, so none outlives the benchmark. */
const children = new Set<ChildProcess>();
onExit(() => {
  for (const child of children) child.kill('SIGKILL');
});

export interface NodeChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Options for node itself, before the script (e.g. `--cpu-prof`). */
  nodeOptions?: string[];
  /** Open an IPC channel, for a child that reports back with `process.send`. */
  ipc?: boolean;
}

/** Starts `node <script>`; its stdout and stderr both go to our stderr, keeping our stdout for the results. */
export function spawnNode(script: string, options: NodeChildOptions = {}): ChildProcess {
  const stdio: StdioOptions = options.ipc ? ['ignore', 2, 2, 'ipc'] : ['ignore', 2, 2];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), script], { stdio, env: options.env ?? process.env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Throws when the child is no longer running, for start-up waits that should not outlast it. */
export function assertRunning(child: ChildProcess, what: string): void {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`${what} exited early (code ${child.exitCode}, signal ${child.signalCode})`);
  }
}

/** Asks the child to stop (SIGTERM, so it can drain and write a CPU profile) and waits; SIGKILL after the grace time. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `--cpu-prof` options writing `<name>.cpuprofile` into `dir`, or none without a dir. */
export function profileOptions(dir: string | undefined, name: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}
