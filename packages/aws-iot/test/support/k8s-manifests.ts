import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/**
 * The manifests of infra/k8s, each checked against the Kubernetes OpenAPI schema of its kind by the
 * models of kubernetes-models (JSON schema, ajv): required fields, types, enums, formats. Those
 * schemas accept fields they do not know, as the API server does without strict field validation:
 * a misspelt field is caught by the tests that read the field, not here.
 */

export const K8S_ROOT = fileURLToPath(new URL('../../../../infra/k8s/', import.meta.url));

export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The kinds infra/k8s may hold, by `apiVersion/kind`; a new kind needs its model here. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

/** Every document of every YAML file under infra/k8s, with the file it came from (relative to infra/k8s). */
export function readManifests(): Manifest[] {
  return yamlFiles(K8S_ROOT).flatMap((path) =>
    parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map(String).join('; ')}`);
      return { ...(document.toJS() as object), file: relative(K8S_ROOT, path) } as Manifest;
    }),
  );
}

/** The schema's complaint about a manifest, or undefined when it is valid. */
export function schemaProblem({ file: _file, ...manifest }: Manifest): string | undefined {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) return `${manifest.apiVersion} ${manifest.kind} is not a kind infra/k8s declares`;
  try {
    new Model(manifest as never).validate();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
