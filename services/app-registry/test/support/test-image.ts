import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connectDocker } from '../../src/adapters/docker/docker-connection.js';
import type { ContainerSpec } from '../../src/domain/container-runtime.port.js';

/**
 * A tiny HTTP app for the Docker tests, built here because no registry can be reached: a root
 * filesystem holding Debian's static busybox, one page and a /healthz (the manifest's default
 * check, which the platform probes), imported with `docker import`. It serves /www on $HOST:$PORT
 * and logs each request line (`url:/...`) to stderr. Images are cached by tag: change the tag
 * whenever what the image holds changes (:1 had no /healthz).
 */
export const TEST_IMAGE = 'citus-test/httpd:2';
export const TEST_PAGE = '<h1>hello from citus-test</h1>\n';
/** The same app without /healthz: it serves its page but fails the default health check (404). */
export const UNHEALTHY_TEST_IMAGE = 'citus-test/httpd:no-healthz-1';

const BUSYBOX = '/bin/busybox';
const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const CMD = ['/bin/busybox', 'sh', '-c', 'exec /bin/busybox httpd -f -vv -p "$HOST:$PORT" -h /www'];

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

interface RootfsFile {
  path: string;
  from?: string;
  content?: string;
}

/** Imports a root filesystem of these files as `tag`, unless the engine has `tag` already. */
function importRootfs(tag: string, files: RootfsFile[], cmd: string[], dockerHost: string, prepare: (work: string) => void = () => {}): string {
  if (docker(['image', 'inspect', tag], dockerHost).status === 0) return tag;
  const work = mkdtempSync(join(tmpdir(), 'citus-test-image-'));
  try {
    prepare(work);
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
    for (const file of files) {
      const target = join(rootfs, file.path);
      mkdirSync(dirname(target), { recursive: true });
      if (file.from) {
        copyFileSync(file.from.replace('$WORK', work), target);
        chmodSync(target, 0o755);
      } else {
        writeFileSync(target, file.content ?? '');
      }
    }
    const tarball = join(work, 'rootfs.tar');
    execFileSync('tar', ['--owner=0', '--group=0', '-cf', tarball, '-C', rootfs, '.']);
    const imported = docker(['import', '--change', `CMD ${JSON.stringify(cmd)}`, tarball, tag], dockerHost);
    if (imported.status !== 0) throw new Error(`docker import ${tag} failed: ${String(imported.stderr).trim()}`);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds and imports the test image unless the engine has it already; answers its tag. */
export function ensureTestImage(dockerHost = DEFAULT_DOCKER_HOST): string {
  const files = [
    { path: 'bin/busybox', from: BUSYBOX },
    { path: 'www/index.html', content: TEST_PAGE },
    { path: 'www/healthz', content: 'ok\n' },
  ];
  return importRootfs(TEST_IMAGE, files, CMD, dockerHost, requireStaticBusybox);
}

/** Builds and imports the test image without /healthz unless the engine has it already; answers its tag. */
export function ensureUnhealthyTestImage(dockerHost = DEFAULT_DOCKER_HOST): string {
  const files = [
    { path: 'bin/busybox', from: BUSYBOX },
    { path: 'www/index.html', content: TEST_PAGE },
  ];
  return importRootfs(UNHEALTHY_TEST_IMAGE, files, CMD, dockerHost, requireStaticBusybox);
}

/**
 * An app that records what topic rules' app actions send it: busybox httpd runs the CGI script
 * /www/cgi-bin/hook, which writes the request's `x-citus-signature` header and its body to
 * stderr, on one line of the deployment's logs (`hook signature=... body=...`), and answers 204.
 * It serves /healthz, the manifest's default check, as the test image does.
 */
export const HOOK_RECORDER_IMAGE = 'citus-test/hook-recorder:1';
/** Where the recorder takes POSTs, under its root. */
export const HOOK_RECORDER_PATH = '/cgi-bin/hook';

// busybox httpd hands a CGI the body on stdin and the headers as HTTP_* variables; an answer that
// starts with a status line goes out as it is. The root has no /bin/sh, so busybox is named.
const HOOK_SCRIPT = `#!/bin/busybox sh
body=$(/bin/busybox head -c "\${CONTENT_LENGTH:-0}")
printf 'hook signature=%s body=%s\\n' "$HTTP_X_CITUS_SIGNATURE" "$body" >&2
printf 'HTTP/1.0 204 No Content\\r\\n\\r\\n'
`;

/** Builds and imports the hook recorder unless the engine has it already; answers its tag. */
export function ensureHookRecorderImage(dockerHost = DEFAULT_DOCKER_HOST): string {
  // Written to the work directory first: files copied `from` there are made executable, as CGI must be.
  const prepare = (work: string) => {
    requireStaticBusybox();
    writeFileSync(join(work, 'hook'), HOOK_SCRIPT);
  };
  const files = [
    { path: 'bin/busybox', from: BUSYBOX },
    { path: `www${HOOK_RECORDER_PATH}`, from: '$WORK/hook' },
    { path: 'www/healthz', content: 'ok\n' },
  ];
  return importRootfs(HOOK_RECORDER_IMAGE, files, CMD, dockerHost, prepare);
}

/**
 * An app whose replicas can be told apart: it answers with a random id of its own, so a test can
 * tell which replica served. busybox httpd serves the same page from every replica, so the Swarm
 * scale tests run this one, compiled statically here.
 */
export const REPLICA_IMAGE = 'citus-test/hello-replica:1';

const REPLICA_SERVER = `#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  const char *port = getenv("PORT");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  /* Every interface of its own network namespace, as $HOST says; only its published port reaches it. */
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port ? atoi(port) : 8080) };
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64)) { perror("bind"); return 1; }
  unsigned long long id = 0;
  FILE *urandom = fopen("/dev/urandom", "r");
  if (!urandom || fread(&id, sizeof id, 1, urandom) != 1) return 1;
  char host[32], req[2048], body[128], res[256];
  snprintf(host, sizeof host, "%016llx", id);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    ssize_t n = read(c, req, sizeof req - 1);
    req[n > 0 ? n : 0] = 0;
    req[strcspn(req, "\\r\\n")] = 0;
    fprintf(stderr, "%s: %s\\n", host, req);
    int bl = snprintf(body, sizeof body, "hello from %s\\n", host);
    int rl = snprintf(res, sizeof res, "HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s", bl, body);
    if (write(c, res, rl) < 0) perror("write");
    close(c);
  }
}
`;

export function ensureReplicaImage(dockerHost = DEFAULT_DOCKER_HOST): string {
  const compile = (work: string) => {
    requireStaticBusybox();
    writeFileSync(join(work, 'server.c'), REPLICA_SERVER);
    const cc = spawnSync('cc', ['-static', '-Os', '-o', join(work, 'server'), join(work, 'server.c')], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) {
      throw new Error(`the Swarm scale tests compile a static server: apt-get install gcc libc6-dev (${cc.error?.message ?? cc.stderr})`);
    }
  };
  const files = [
    { path: 'bin/busybox', from: BUSYBOX },
    { path: 'bin/server', from: '$WORK/server' },
  ];
  return importRootfs(REPLICA_IMAGE, files, ['/bin/server'], dockerHost, compile);
}

/**
 * Runs `command` inside the running container `name` and answers its exit code and output: what a
 * process of that app could do.
 */
export async function execIn(name: string, command: string[], dockerHost = DEFAULT_DOCKER_HOST): Promise<{ exitCode: number; output: string }> {
  const exec = await connectDocker(dockerHost).docker.getContainer(name).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  // The multiplexed stream's 8-byte frame headers are left in: callers only search the text.
  return { exitCode: ExitCode ?? -1, output: Buffer.concat(chunks).toString('latin1') };
}

/** A port nothing listens on now, for an app's published port. */
export { freePort } from '@citus/kit';

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
    containerPort: hostPort,
    resources: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000 },
    readOnlyRootFilesystem: true,
    healthCheck: { command: testHealthCommand(hostPort), intervalSeconds: 1, timeoutSeconds: 2, retries: 3 },
  };
}

/** Makes the engine a Swarm manager listening on loopback only (127.0.0.1:2377), unless it is one; the swarm is left active. */
export async function ensureSwarmManager(dockerHost = DEFAULT_DOCKER_HOST): Promise<void> {
  const { docker } = connectDocker(dockerHost);
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
  if (info.Swarm?.LocalNodeState === 'active') return;
  await docker.swarmInit({ ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' });
}
