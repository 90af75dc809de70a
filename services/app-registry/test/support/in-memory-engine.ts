import type { AppScope } from '@citus/contracts';
import type { AppKeyIssuer } from '@citus/kit';
import type { AppHealthProbe, HealthProbeResult } from '../../src/domain/app-health.port.js';
import { onLoopback, RuntimeError, type ContainerRuntime, type ContainerSpec } from '../../src/domain/container-runtime.port.js';
import type { HealthClock } from '../../src/app/deployment-health.js';

/**
 * An in-memory stand-in for the engine (the Docker tier runs the real one): records what runs and
 * what was stopped; images in `missing` fail to start.
 */
export function inMemoryRuntime() {
  const running = new Map<string, ContainerSpec>();
  const stopped = new Map<string, ContainerSpec>();
  const missing = new Set<string>();
  const replicaPorts = new Map<string, number[]>();
  const move = (name: string, from: Map<string, ContainerSpec>, to: Map<string, ContainerSpec>): void => {
    const spec = from.get(name);
    if (!spec) return;
    from.delete(name);
    to.set(name, spec);
  };
  const runtime: ContainerRuntime = {
    kind: 'docker',
    availability: async () => ({ available: true, engine: 'in-memory' }),
    deploy: async (spec) => {
      if (missing.has(spec.image)) throw new RuntimeError('not_found', `no such image: ${spec.image}`);
      running.set(spec.name, spec);
    },
    status: async (name) => {
      if (running.has(name)) return { state: 'running', replicas: { desired: 1, running: 1 } };
      return { state: stopped.has(name) ? 'stopped' : 'missing', replicas: { desired: stopped.has(name) ? 1 : 0, running: 0 } };
    },
    logs: async function* () {},
    restart: async (name) => move(name, stopped, running),
    stop: async (name) => move(name, running, stopped),
    remove: async (name) => void (running.delete(name) || stopped.delete(name)),
    scale: async () => {},
    list: async () => [...running.keys(), ...stopped.keys()],
    // As the single engine: the port it was deployed with, running or not; `replicaPorts` stands in for Swarm's tasks.
    endpoints: async (name, { hostPort }) => (replicaPorts.get(name) ?? [hostPort]).map(onLoopback),
  };
  return { runtime, running, missing, replicaPorts };
}

/** An in-memory stand-in for the portal's key issuer: keeps each key's scopes and what was revoked; `fail` makes it refuse. */
export function inMemoryKeys() {
  const issued: Array<{ keyId: string; key: string; scopes: readonly AppScope[] }> = [];
  const revoked: string[] = [];
  const fail = { issue: false, revoke: false };
  const issuer: AppKeyIssuer = {
    issueAppKey: async ({ scopes }) => {
      if (fail.issue) throw new Error('the portal does not answer');
      const keyId = `apk_${(issued.length + 1).toString(16).padStart(24, '0')}`;
      const key = { keyId, key: `citus_${keyId}_${String(issued.length + 1).padStart(43, 'k')}` };
      issued.push({ ...key, scopes });
      return key;
    },
    revokeAppKey: async (keyId) => {
      if (fail.revoke) throw new Error('the portal does not answer');
      revoked.push(keyId);
    },
  };
  return { issuer, issued, revoked, fail };
}

/**
 * A stand-in for the HTTP probe (its adapter is tested against a real server): answers what
 * `answer` says for a port and path (healthy by default) and records every call.
 */
export function scriptedProbe() {
  const calls: Array<{ hostPort: number; path: string; timeoutMs: number }> = [];
  const script = {
    answer: (_hostPort: number, _path: string): HealthProbeResult | Promise<HealthProbeResult> => ({ healthy: true }),
  };
  const probe: AppHealthProbe = {
    probe: async ({ port: hostPort }, path, timeoutMs) => {
      calls.push({ hostPort, path, timeoutMs });
      return script.answer(hostPort, path);
    },
  };
  return { probe, calls, script };
}

/** A clock that moves only when slept on, and records each sleep. */
export function steppingClock(start = 1_000_000) {
  const slept: number[] = [];
  let now = start;
  const clock: HealthClock = {
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
  return { clock, slept };
}
