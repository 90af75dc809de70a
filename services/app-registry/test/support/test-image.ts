import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSpec } from '../../src/domain/container-runtime.port.js';

/**
 * A tiny HTTP app for the Docker tests, built here because no registry can be reached: a root
 * filesystem holding Debian's static busybox and one page, imported with `docker import`. It
 * serves /www on 127.0.0.1:$PORT and logs each request line (`url:/...`) to stderr.
 */
export const TEST_IMAGE = 'citus-test/hello:1';
export const TEST_PAGE = '<h1>hello from citus-test</h1>\n';

const BUSYBOX = '/bin/busybox';
const CMD = ['/bin/busybox', 'sh', '-c', 'exec /bin/busybox httpd -f -vv -p 127.0.0.1:$PORT -h /www'];

/** A health check for the test image: fetches its page through its own port. */
export function testHealthCommand(port: number): string[] {
  return ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}/`];
}

/** Whether an ELF64 little-endian binary asks for a dynamic loader (a PT_INTERP program header). */
function hasInterpreter(elf: Buffer): boolean {
  const PT_INTERP = 3;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i += 1) {
    if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return true;
  }
  return false;
}

function requireStaticBusybox(): void {
  const missing = `the Docker tests build their image from ${BUSYBOX} of Debian's busybox-static: apt-get install busybox-static`;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} not found; ${missing}`);
  const elf = readFileSync(BUSYBOX);
  const elf64le = elf.subarray(0, 4).toString('latin1') === '\x7fELF' && elf[4] === 2 && elf[5] === 1;
  if (!elf64le || hasInterpreter(elf)) throw new Error(`${BUSYBOX} is not a static 64-bit binary; ${missing}`);
}

function docker(args: string[], dockerHost: string): ReturnType<typeof spawnSync> {
  return spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: dockerHost }, encoding: 'utf8' });
}

/** Builds and imports the test image unless the engine has it already; answers its tag. */
export function ensureTestImage(dockerHost = 'unix:///var/run/docker.sock'): string {
  if (docker(['image', 'inspect', TEST_IMAGE], dockerHost).status === 0) return TEST_IMAGE;
  requireStaticBusybox();
  const work = mkdtempSync(join(tmpdir(), 'citus-test-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    for (const dir of ['bin', 'www', 'tmp']) mkdirSync(join(rootfs, dir), { recursive: true });
    copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    writeFileSync(join(rootfs, 'www/index.html'), TEST_PAGE);
    const tarball = join(work, 'rootfs.tar');
    execFileSync('tar', ['--owner=0', '--group=0', '-cf', tarball, '-C', rootfs, '.']);
    const imported = docker(['import', '--change', `CMD ${JSON.stringify(CMD)}`, tarball, TEST_IMAGE], dockerHost);
    if (imported.status !== 0) throw new Error(`docker import ${TEST_IMAGE} failed: ${String(imported.stderr).trim()}`);
    return TEST_IMAGE;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A port nothing listens on now, for an app on the host's network. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** The page, once the app answers on 127.0.0.1:port. */
export function fetchPage(port: number, path = '/'): Promise<string | undefined> {
  return fetch(`http://127.0.0.1:${port}${path}`).then((res) => (res.ok ? res.text() : undefined));
}

/** A deployment of the test image: 64 MiB, half a CPU, read-only root, checked every second. */
export function testContainerSpec(name: string, hostPort: number, labels: Record<string, string>): ContainerSpec {
  return {
    name,
    image: TEST_IMAGE,
    labels,
    env: { GREETING: 'hello', PORT: '1' },
    hostPort,
    resources: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000 },
    readOnlyRootFilesystem: true,
    healthCheck: { command: testHealthCommand(hostPort), intervalSeconds: 1, timeoutSeconds: 2, retries: 3 },
  };
}
