import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR_LOCK_FILE, DataDirInUseError, lockDataDir, type DataDirLock } from '../src/index.js';

const BUILT = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

/**
 * Another process holding the lock through the built package; resolves once it holds it. The lock
 * is kept referenced: a dropped one may be collected, and its connection closed, at any moment.
 */
async function holdInChild(dataDir: string): Promise<ChildProcess> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`);
  const script = `const { lockDataDir } = await import(${JSON.stringify(BUILT)});
    globalThis.heldLock = lockDataDir(${JSON.stringify(dataDir)}); process.stdout.write('locked\\n'); setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(chunk.toString()).toBe('locked\n');
  return child;
}

describe('lockDataDir', () => {
  let dir: string;
  const held: DataDirLock[] = [];
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-lock-'));
  });
  afterEach(() => {
    for (const lock of held.splice(0)) lock.release();
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets one holder in at a time within a process, and the next in after a release', () => {
    const first = lockDataDir(dir);
    held.push(first);
    expect(statSync(join(dir, DATA_DIR_LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(() => lockDataDir(dir)).toThrow(new DataDirInUseError(dir, process.pid));
    first.release();
    held.push(lockDataDir(dir));
  });

  it('refuses while another process holds it, naming its pid, and is free once that process is killed', async () => {
    const child = await holdInChild(dir);
    children.push(child);
    let refusal: unknown;
    try {
      lockDataDir(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as DataDirInUseError).holderPid).toBe(child.pid);
    expect((refusal as Error).message).toBe(
      `${dir} is in use by process ${child.pid} (a running Citus platform, backup restore or the like); stop it first`,
    );
    // SIGKILL: no clean-up runs, the kernel drops the process's POSIX locks.
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    held.push(lockDataDir(dir));
  });
});
