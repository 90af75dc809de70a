import Dockerode from 'dockerode';
import { RuntimeError, type RuntimeAvailability } from '../../domain/container-runtime.port.js';

/** A Docker client and the `DOCKER_HOST` it was made from, which every "unavailable" message names. */
export interface DockerConnection {
  docker: Dockerode;
  host: string;
}

/**
 * `unix:///path` or `tcp://host:port` (`http://`, `https://` too). TLS client certificates and
 * `ssh://` are not supported: a local engine is reached through its socket.
 */
export function dockerOptions(dockerHost: string): Dockerode.DockerOptions {
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    if (!socketPath) throw new Error(`DOCKER_HOST=${dockerHost} names no socket path`);
    return { socketPath };
  }
  const url = URL.canParse(dockerHost) ? new URL(dockerHost) : undefined;
  const protocol = url && { 'tcp:': 'http', 'http:': 'http', 'https:': 'https' }[url.protocol];
  if (!url || !protocol || !url.hostname) {
    throw new Error(`DOCKER_HOST=${dockerHost} is not unix:///path/to/docker.sock or tcp://host:port`);
  }
  const port = url.port || (protocol === 'https' ? '2376' : '2375');
  return { host: url.hostname, port: Number(port), protocol: protocol as 'http' | 'https' };
}

export function connectDocker(dockerHost: string): DockerConnection {
  return { docker: new Dockerode(dockerOptions(dockerHost)), host: dockerHost };
}

/** Socket errors that mean "no engine there", as opposed to an engine refusing a request. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

interface DockerModemError {
  code?: string;
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

function unreachableMessage(host: string, code: string): string {
  const why = code === 'EACCES' ? 'permission denied on the socket' : code === 'ENOENT' ? 'no such socket' : code;
  return `No Docker engine answers at DOCKER_HOST=${host} (${why}): start dockerd or set DOCKER_HOST to a reachable engine`;
}

/** What the engine said, without docker-modem's "(HTTP code 404) no such container -" prefix. */
function engineMessage(error: DockerModemError): string {
  return (error.json?.message ?? error.message ?? String(error)).trim();
}

export function toRuntimeError(error: unknown, host: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const e = (error ?? {}) as DockerModemError;
  if (e.code && UNREACHABLE.has(e.code)) return new RuntimeError('unavailable', unreachableMessage(host, e.code));
  const message = engineMessage(e);
  switch (e.statusCode) {
    case 404:
      return new RuntimeError('not_found', message);
    case 409:
      return new RuntimeError('conflict', message);
    case 503:
      // Swarm calls on an engine that is not a manager answer 503.
      return new RuntimeError('unavailable', `Docker engine at DOCKER_HOST=${host}: ${message}`);
    default:
      return new RuntimeError('failed', message);
  }
}

export function isNotFound(error: unknown): boolean {
  return (error as DockerModemError | null)?.statusCode === 404;
}

/** Runs a call against the engine, answering engine and socket failures as RuntimeErrors. */
export async function engineCall<T>(connection: DockerConnection, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toRuntimeError(error, connection.host);
  }
}

/**
 * `engineCall` with a limit: the engine's API calls have no timeout of their own, and a call that
 * never answers must not hold what waits behind it. `what` names the call in the error.
 */
export async function engineCallWithin<T>(connection: DockerConnection, limitMs: number, what: string, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RuntimeError('unavailable', `the Docker engine at DOCKER_HOST=${connection.host} did not answer ${what} within ${limitMs / 1000} s`)), limitMs);
  });
  try {
    return await Promise.race([engineCall(connection, call), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const PING_TIMEOUT_MS = 3_000;

/** Pings the engine and reads its version; never throws. */
export async function pingEngine(connection: DockerConnection): Promise<RuntimeAvailability> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('ping timed out'), { code: 'ETIMEDOUT' })), PING_TIMEOUT_MS);
  });
  try {
    const version = await Promise.race([
      connection.docker.ping().then(() => connection.docker.version()),
      timeout,
    ]);
    return { available: true, engine: `Docker ${version.Version} (API ${version.ApiVersion})` };
  } catch (error) {
    return { available: false, reason: toRuntimeError(error, connection.host).message };
  } finally {
    clearTimeout(timer);
  }
}
