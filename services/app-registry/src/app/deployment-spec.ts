import type { AppManifest } from '@citus/contracts';
import { badRequest } from '@citus/kit';
import type { ContainerSpec } from '../domain/container-runtime.port.js';
import type { DeploymentRecord } from '../domain/deployment.model.js';

const BYTES_PER_MB = 1024 * 1024;
const NANOCPUS_PER_MILLICORE = 1_000_000;

/** Labels every container of a deployment carries, so the engine's own tools can tell whose it is. */
export const DEPLOYMENT_LABELS = {
  workspace: 'citus.workspace',
  app: 'citus.app',
  version: 'citus.version',
  deployment: 'citus.deployment',
} as const;

/** Docker container names allow `_`, Swarm service names (DNS labels) do not. */
export const containerNameOf = (deploymentId: string): string => `citus-${deploymentId.replace('_', '-')}`;

/**
 * Splits a deploy request's variables into overrides of the manifest's plain values and values of
 * its declared secrets. Every declared secret needs a value: an app started without one would fail
 * at its first use, far from the cause. Other names are refused, so a typo is not silently ignored.
 */
export function deploymentVariables(manifest: AppManifest, requested: Record<string, string>): Pick<DeploymentRecord, 'env' | 'secrets'> {
  const env: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(requested)) {
    if (manifest.secrets.includes(name)) secrets[name] = value;
    else if (Object.hasOwn(manifest.env, name)) env[name] = value;
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    throw badRequest(`not declared by the manifest, as a secret or a plain value: ${unknown.join(', ')}`);
  }
  const missing = manifest.secrets.filter((name) => !Object.hasOwn(secrets, name));
  if (missing.length > 0) throw badRequest(`declared secrets need a value: ${missing.join(', ')}`);
  return { env, secrets };
}

/** Where the app listens inside its container: the port its manifest names, else the one the platform chose. */
export const containerPortOf = (deployment: Pick<DeploymentRecord, 'hostPort' | 'containerPort'>): number => deployment.containerPort ?? deployment.hostPort;

/**
 * What the runtime starts for a deployment. No health check is given to the engine: the manifest's
 * check is an HTTP path, and the engine can only run a command inside the container, which needs a
 * shell or wget the platform cannot know an arbitrary image has; a missing one would mark every
 * healthy app unhealthy. The platform probes the path itself on the published port instead
 * (deployment-health.ts).
 */
export function containerSpecFor(deployment: DeploymentRecord, manifest: AppManifest): ContainerSpec {
  return {
    name: deployment.containerName,
    image: manifest.image,
    labels: {
      [DEPLOYMENT_LABELS.workspace]: deployment.workspaceId,
      [DEPLOYMENT_LABELS.app]: deployment.appId,
      [DEPLOYMENT_LABELS.version]: deployment.version,
      [DEPLOYMENT_LABELS.deployment]: deployment.deploymentId,
    },
    env: {
      ...manifest.env,
      ...deployment.env,
      ...deployment.secrets,
      ...(deployment.apiKey ? { CITUS_API_KEY: deployment.apiKey.key } : {}),
      PORT: String(containerPortOf(deployment)),
    },
    hostPort: deployment.hostPort,
    containerPort: containerPortOf(deployment),
    resources: {
      memoryBytes: manifest.resources.memoryMb * BYTES_PER_MB,
      nanoCpus: manifest.resources.cpuMillicores * NANOCPUS_PER_MILLICORE,
    },
    readOnlyRootFilesystem: manifest.readOnlyRootFilesystem,
  };
}
