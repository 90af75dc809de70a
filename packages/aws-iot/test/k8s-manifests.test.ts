import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IConfigMap, IContainer, IService } from 'kubernetes-models/v1';
import { loadConfig } from '../../../services/embedded/src/platform.js';
import { readTemplate } from './support/cloudformation-spec.js';
import { K8S_ROOT, readManifests, schemaProblem, type Manifest } from './support/k8s-manifests.js';

const manifests = readManifests();
const resources = manifests.filter((manifest) => manifest.kind !== 'Kustomization');
const kustomizations = manifests.filter((manifest) => manifest.kind === 'Kustomization');
const ofKind = <T>(kind: string): Array<T & Manifest> => resources.filter((manifest) => manifest.kind === kind) as Array<T & Manifest>;
const named = <T>(kind: string, name: string): T & Manifest => {
  const found = ofKind<T>(kind).find((manifest) => manifest.metadata.name === name);
  if (!found) throw new Error(`infra/k8s declares no ${kind} ${name}`);
  return found;
};

const deployments = ofKind<IDeployment>('Deployment');
const platform = named<IDeployment>('Deployment', 'citus-platform');
const portal = named<IDeployment>('Deployment', 'citus-portal');
const appRegistry = named<IDeployment>('Deployment', 'citus-app-registry');
const indexer = named<IDeployment>('Deployment', 'citus-indexer');
const analytics = named<IDeployment>('Deployment', 'citus-analytics');
const registry = named<IDeployment>('Deployment', 'citus-device-lifecycle');
const podSpec = platform.spec?.template.spec;
const containers = (deployment: IDeployment): IContainer[] => deployment.spec?.template.spec?.containers ?? [];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE/i;
/** Long enough for every secret the processes check (CITUS_SERVICE_TOKEN: at least 32 characters). */
const SECRET_VALUE = 'a-secret-of-the-right-length-0123456789abcdef';

/** The processes the platform image runs in Kubernetes, by Deployment, with what each one's CITUS_SERVICES names. */
const PROCESSES: Array<[string, IDeployment, string]> = [
  ['citus-portal', portal, 'portal'],
  ['citus-device-lifecycle', registry, 'device-lifecycle'],
  ['citus-platform', platform, 'iot-hub'],
  ['citus-indexer', indexer, 'indexer'],
  ['citus-analytics', analytics, 'analytics'],
  ['citus-app-registry', appRegistry, 'app-registry'],
];

/** The processes that follow the telemetry table's stream, apart from the hub's process that writes it. */
const STREAM_CONSUMERS: Array<[string, IDeployment]> = [
  ['citus-indexer', indexer],
  ['citus-analytics', analytics],
];

/** The processes on the platform's service account (the AWS role for the tables and their streams). */
const AWS_CALLERS: Array<[string, IDeployment]> = [['citus-device-lifecycle', registry], ...STREAM_CONSUMERS];
const HTTPS_OUT = [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }];
const FROM_KONG = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kong' } } };

const configMapOf = (deployment: IDeployment): IConfigMap => {
  const name = containers(deployment)[0]?.envFrom?.[0]?.configMapRef?.name ?? '';
  return named<IConfigMap>('ConfigMap', name);
};
const envNames = (deployment: IDeployment): string[] => containers(deployment).flatMap((container) => (container.env ?? []).map((variable) => variable.name));
const policyOf = (deployment: IDeployment): INetworkPolicy['spec'] => named<INetworkPolicy>('NetworkPolicy', deployment.metadata?.name ?? '').spec;
const podsOf = (name: string) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': name } } });
const DNS_RULE_PORTS = ['53/UDP', '53/TCP'];
const portsOf = (rules: Array<{ ports?: Array<{ port?: number | string; protocol?: string }> }>) =>
  rules.flatMap((rule) => (rule.ports ?? []).map((port) => `${port.port}/${port.protocol}`));

describe('infra/k8s manifests', () => {
  it.each(resources.map((manifest): [string, string, Manifest] => [manifest.file, `${manifest.kind} ${manifest.metadata.name}`, manifest]))(
    '%s: %s is valid against the Kubernetes schema of its kind',
    (_file, _what, manifest) => {
      expect(schemaProblem(manifest)).toBeUndefined();
    },
  );

  it('finds a manifest the schema refuses', () => {
    const broken = structuredClone(platform) as Manifest;
    (broken.spec as { replicas: unknown }).replicas = 'one';
    expect(schemaProblem(broken)).toMatch(/replicas/);
    expect(schemaProblem({ ...platform, kind: 'DaemonSet' })).toMatch(/not a kind/);
  });

  it('applies every manifest file through the kustomizations, and each of them lists only what exists', () => {
    const listed = kustomizations.flatMap((kustomization) =>
      ((kustomization.resources ?? []) as string[]).map((entry) => join(K8S_ROOT, dirname(kustomization.file), entry)),
    );
    for (const path of listed) expect(existsSync(path)).toBe(true);
    const files = new Set(resources.map((manifest) => join(K8S_ROOT, manifest.file)));
    const applied = new Set(listed.filter((path) => !statSync(path).isDirectory()));
    expect([...files].filter((file) => !applied.has(file))).toEqual([]);
    expect(resources.every((manifest) => manifest.kind === 'Namespace' || manifest.metadata.namespace === 'citus')).toBe(true);
  });

  it.each(deployments.map((deployment): [string, IDeployment] => [deployment.metadata?.name ?? '', deployment]))(
    '%s runs as uid 10001, non-root, read-only, without capabilities or privilege escalation, nothing of the host',
    (_name, deployment) => {
      const pod = deployment.spec?.template.spec;
      expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod?.hostNetwork ?? false).toBe(false);
      expect(pod?.hostPID ?? false).toBe(false);
      expect(pod?.hostIPC ?? false).toBe(false);
      expect((pod?.volumes ?? []).filter((volume) => volume.hostPath !== undefined)).toEqual([]);
      expect(pod?.automountServiceAccountToken).toBe(false);
      for (const container of [...containers(deployment), ...(pod?.initContainers ?? [])]) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.securityContext?.privileged ?? false).toBe(false);
        expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
        expect(container.resources).toMatchObject({
          requests: { cpu: expect.anything(), memory: expect.anything() },
          limits: { cpu: expect.anything(), memory: expect.anything() },
        });
      }
    },
  );

  it("runs the portal, the registry, the hub's process, the indexer, analytics and the app registry, each as the platform image's own user", () => {
    expect(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')).toMatch(/^USER 10001:10001$/m);
    expect(deployments.map((deployment) => deployment.metadata?.name).sort()).toEqual(PROCESSES.map(([name]) => name).sort());
    for (const [name, deployment] of PROCESSES) expect([name, containers(deployment)[0]?.image]).toEqual([name, expect.stringMatching(/^citus\/platform:/)]);
  });

  it.each(PROCESSES)('%s probes /healthz on the HTTP port, the port its ConfigMap gives it', (_name, deployment) => {
    const [container] = containers(deployment);
    const http = container?.ports?.find((port) => port.name === 'http');
    expect(http?.containerPort).toBe(Number(configMapOf(deployment).data?.PORT));
    for (const probe of [container?.startupProbe, container?.readinessProbe, container?.livenessProbe]) {
      expect(probe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    }
  });

  it('holds no Secret and no secret value: secrets come from the Secret citus-platform by reference', () => {
    expect(resources.filter((manifest) => manifest.kind === 'Secret')).toEqual([]);
    const env = deployments.flatMap((deployment) => containers(deployment).flatMap((container) => container.env ?? []));
    expect(env.filter((variable) => variable.value !== undefined)).toEqual([]);
    for (const variable of env) expect(variable.valueFrom?.secretKeyRef?.name).toBe('citus-platform');
    expect(env.map((variable) => variable.name).filter((name) => !SECRET_NAME.test(name))).toEqual([]);
    const config = ofKind<IConfigMap>('ConfigMap').flatMap((map) => Object.keys(map.data ?? {}));
    expect(config.filter((name) => SECRET_NAME.test(name))).toEqual([]);
  });

  it('gives each process only the secrets it uses: the admin password to the portal, the Elasticsearch key to the indexer, the service token to all', () => {
    expect(envNames(portal).sort()).toEqual(['CITUS_ADMIN_PASSWORD', 'CITUS_METRICS_TOKEN', 'CITUS_SERVICE_TOKEN']);
    expect(envNames(platform).sort()).toEqual(['CITUS_METRICS_TOKEN', 'CITUS_SERVICE_TOKEN']);
    expect(envNames(registry).sort()).toEqual(['CITUS_METRICS_TOKEN', 'CITUS_SERVICE_TOKEN']);
    expect(envNames(indexer).sort()).toEqual(['CITUS_METRICS_TOKEN', 'CITUS_SERVICE_TOKEN', 'ELASTICSEARCH_API_KEY']);
    expect(envNames(analytics).sort()).toEqual(['CITUS_METRICS_TOKEN', 'CITUS_SERVICE_TOKEN']);
    expect(envNames(appRegistry).sort()).toEqual(['CITUS_METRICS_TOKEN', 'CITUS_SERVICE_TOKEN']);
    for (const [name, deployment] of PROCESSES) {
      const token = containers(deployment)[0]?.env?.find((variable) => variable.name === 'CITUS_SERVICE_TOKEN');
      expect([name, token?.valueFrom?.secretKeyRef]).toEqual([name, { name: 'citus-platform', key: 'service-token' }]);
    }
  });

  it.each(PROCESSES)('configures %s with values it accepts at start', (_name, deployment, services) => {
    const secrets = Object.fromEntries(
      containers(deployment)
        .flatMap((container) => container.env ?? [])
        .filter((variable) => variable.valueFrom?.secretKeyRef?.optional !== true)
        .map((variable) => [variable.name, SECRET_VALUE]),
    );
    const env = { ...configMapOf(deployment).data, ...secrets };
    expect(loadConfig(env).embedded.CITUS_SERVICES.join(',')).toBe(services);
    expect(env).toMatchObject({ HOST: '0.0.0.0', CITUS_DATA_DIR: '/var/lib/citus/data' });
    // A process without the portal asks the portal's Service, on its port.
    const portalService = named<IService>('Service', 'citus-portal');
    const expectedPortal = services === 'portal' ? undefined : `http://${portalService.metadata?.name}:${portalService.spec?.ports?.[0]?.port}`;
    expect(env.CITUS_PORTAL_URL).toBe(expectedPortal);
  });

  it('configures the platform with values it accepts at start, given the secrets', () => {
    const secrets = Object.fromEntries(
      containers(platform)
        .flatMap((container) => container.env ?? [])
        .filter((variable) => variable.valueFrom?.secretKeyRef?.optional !== true)
        .map((variable) => [variable.name, SECRET_VALUE]),
    );
    const env = { ...named<IConfigMap>('ConfigMap', 'citus-platform').data, ...secrets };
    expect(() => loadConfig(env)).not.toThrow();
    // The same check refuses what the platform would refuse, so a ConfigMap that crash-loops fails here.
    expect(() => loadConfig({ ...env, CITUS_TELEMETRY_STORE: 'dynamo' })).toThrow(/CITUS_TELEMETRY_STORE/);
    expect(() => loadConfig({ ...env, AWS_REGION: undefined })).toThrow(/AWS_REGION/);
    expect(env).toMatchObject({ HOST: '0.0.0.0', CITUS_DATA_DIR: '/var/lib/citus/data', CITUS_TELEMETRY_STORE: 'dynamodb', CITUS_REGISTRY_STORE: 'dynamodb' });
  });

  it('leaves search to the indexer: the platform has no Elasticsearch settings, the indexer all of them', () => {
    const platformConfig = configMapOf(platform).data ?? {};
    expect(Object.keys(platformConfig).filter((name) => /SEARCH|ELASTICSEARCH/.test(name))).toEqual([]);
    expect(configMapOf(indexer).data).toMatchObject({ CITUS_SEARCH: 'elasticsearch', ELASTICSEARCH_URL: expect.stringMatching(/^https:\/\//) });
  });

  it.each(STREAM_CONSUMERS)('points %s at the tables the platform writes: the same region, prefix and stores', (_name, deployment) => {
    const own = configMapOf(deployment).data ?? {};
    const platformConfig = configMapOf(platform).data ?? {};
    for (const key of ['AWS_REGION', 'CITUS_DYNAMODB_TABLE_PREFIX', 'CITUS_TELEMETRY_STORE']) expect([key, own[key]]).toEqual([key, platformConfig[key]]);
    // The process refuses to run apart from the hub without the stream it follows.
    const secrets = Object.fromEntries(envNames(deployment).map((name) => [name, SECRET_VALUE]));
    expect(() => loadConfig({ ...own, ...secrets, CITUS_TELEMETRY_STORE: 'sqlite' })).toThrow(/CITUS_SERVICES: (the indexer|analytics) runs apart from/);
  });

  it("sends analytics and the registry to the platform's Service (things, connectivity), and the platform to the registry's (its CA)", () => {
    const urlOf = (name: string) => {
      const service = named<IService>('Service', name);
      return `http://${service.metadata?.name}:${service.spec?.ports?.[0]?.port}`;
    };
    expect(configMapOf(analytics).data?.CITUS_DEVICE_PLANE_URL).toBe(urlOf('citus-platform'));
    expect(configMapOf(registry).data?.CITUS_DEVICE_PLANE_URL).toBe(urlOf('citus-platform'));
    expect(configMapOf(platform).data?.CITUS_DEVICE_PLANE_URL).toBeUndefined();
    expect(configMapOf(platform).data?.CITUS_DEVICE_REGISTRY_URL).toBe(urlOf('citus-device-lifecycle'));
    for (const deployment of [portal, registry, indexer, analytics, appRegistry]) expect(configMapOf(deployment).data?.CITUS_DEVICE_REGISTRY_URL).toBeUndefined();
  });

  it('gives the registry and the hub the same MQTT names and registry table: the CA signs the hub certificate for those names only', () => {
    const own = configMapOf(registry).data ?? {};
    const platformConfig = configMapOf(platform).data ?? {};
    for (const key of ['CITUS_MQTT_ENDPOINT', 'CITUS_HUB_HOSTNAMES', 'CITUS_MQTT_ADVERTISED_PORT', 'AWS_REGION', 'CITUS_DYNAMODB_TABLE_PREFIX', 'CITUS_REGISTRY_STORE']) {
      expect([key, own[key]]).toEqual([key, platformConfig[key]]);
    }
    // Each refuses to run apart from the other without the registry table's stream or the other's URL.
    const secrets = Object.fromEntries(envNames(registry).map((name) => [name, SECRET_VALUE]));
    expect(() => loadConfig({ ...own, ...secrets, CITUS_REGISTRY_STORE: 'sqlite' })).toThrow(/device-lifecycle runs apart from iot-hub/);
    expect(() => loadConfig({ ...own, ...secrets, CITUS_DEVICE_PLANE_URL: undefined })).toThrow(/CITUS_DEVICE_PLANE_URL/);
    expect(() => loadConfig({ ...platformConfig, ...secrets, CITUS_DEVICE_REGISTRY_URL: undefined })).toThrow(/CITUS_DEVICE_REGISTRY_URL/);
  });

  it.each(PROCESSES)('keeps %s at one replica while its data dir is a ReadWriteOnce volume, replaced rather than rolled', (name, deployment) => {
    const claimName = deployment.spec?.template.spec?.volumes?.find((volume) => volume.name === 'data')?.persistentVolumeClaim?.claimName;
    expect(claimName).toBe(`${name}-data`);
    expect(named<{ spec: { accessModes: string[] } }>('PersistentVolumeClaim', claimName ?? '').spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    // citus restore renames the data dir within its parent: the volume must be the parent, not the dir.
    const dataDir = configMapOf(deployment).data?.CITUS_DATA_DIR;
    const mounts = containers(deployment).flatMap((container) => container.volumeMounts ?? []);
    expect(mounts.find((mount) => mount.name === 'data')?.mountPath).toBe('/var/lib/citus');
    expect(mounts.map((mount) => mount.mountPath)).not.toContain(dataDir);
    expect(dataDir?.startsWith('/var/lib/citus/')).toBe(true);
  });

  it("scales nothing past one replica: the platform's autoscaler is pinned, the portal, registry, indexer, analytics and app registry have none", () => {
    const autoscalers = ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(autoscalers.map((autoscaler) => autoscaler.spec?.scaleTargetRef.name)).toEqual(['citus-platform']);
    expect(named<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'citus-platform').spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'citus-platform' },
      minReplicas: 1,
      maxReplicas: 1,
    });
  });

  it("exposes each process's HTTP inside the cluster and MQTT through a TCP load balancer, each to its named ports", () => {
    const services = ofKind<IService>('Service');
    for (const service of services) {
      const selected = deployments.filter((deployment) => Object.entries(service.spec?.selector ?? { missing: 'selector' }).every(([key, value]) => deployment.spec?.template.metadata?.labels?.[key] === value));
      expect([service.metadata.name, selected.length]).toEqual([service.metadata.name, 1]);
      const ports = new Set(containers(selected[0]!).flatMap((container) => (container.ports ?? []).map((port) => port.name)));
      for (const port of service.spec?.ports ?? []) expect(ports.has(String(port.targetPort))).toBe(true);
    }
    for (const [name] of PROCESSES) expect(named<IService>('Service', name).spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 8080 }] });
    expect(named<IService>('Service', 'citus-platform-mqtt').spec).toMatchObject({ type: 'LoadBalancer', ports: [{ port: 8883, protocol: 'TCP' }] });
  });

  it('denies all traffic in the namespace by default', () => {
    expect(named<INetworkPolicy>('NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('lets Kong, analytics and the registry reach the API, anyone reach MQTT, and the platform reach only DNS, the portal, the registry and HTTPS', () => {
    const policy = policyOf(platform);
    expect(policy?.podSelector.matchLabels).toEqual(platform.spec?.selector.matchLabels);
    expect(policy?.ingress).toEqual([
      { from: [FROM_KONG, podsOf('citus-analytics'), podsOf('citus-device-lifecycle')], ports: [{ port: 8080, protocol: 'TCP' }] },
      { ports: [{ port: 8883, protocol: 'TCP' }] },
    ]);
    const egress = policy?.egress ?? [];
    expect(portsOf(egress)).toEqual([...DNS_RULE_PORTS, '8080/TCP', '443/TCP']);
    for (const rule of egress) expect(rule.to?.length).toBeGreaterThan(0);
    expect(egress.find((rule) => rule.ports?.some((port) => port.port === 8080))?.to).toEqual([podsOf('citus-portal'), podsOf('citus-device-lifecycle')]);
    const https = egress.find((rule) => rule.ports?.some((port) => port.port === 443));
    expect(https?.to).toEqual(HTTPS_OUT);
  });

  it("lets Kong and the hub's process reach the registry (the internal API: its CA), and the registry reach only DNS, the portal, the platform's 8080 and HTTPS (DynamoDB)", () => {
    const policy = policyOf(registry);
    expect(policy?.podSelector.matchLabels).toEqual(registry.spec?.selector.matchLabels);
    expect(policy?.ingress).toEqual([{ from: [FROM_KONG, podsOf('citus-platform')], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    const egress = policy?.egress ?? [];
    expect(portsOf(egress)).toEqual([...DNS_RULE_PORTS, '8080/TCP', '443/TCP']);
    expect(egress[1]?.to).toEqual([podsOf('citus-portal'), podsOf('citus-platform')]);
    expect(egress[2]?.to).toEqual(HTTPS_OUT);
  });

  it('lets only Kong reach the indexer, and the indexer reach only DNS, the portal, HTTPS (DynamoDB, Elasticsearch) and Elasticsearch in the cluster', () => {
    const policy = policyOf(indexer);
    expect(policy?.podSelector.matchLabels).toEqual(indexer.spec?.selector.matchLabels);
    expect(policy?.ingress).toEqual([{ from: [FROM_KONG], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    const egress = policy?.egress ?? [];
    expect(portsOf(egress)).toEqual([...DNS_RULE_PORTS, '8080/TCP', '443/TCP', '9200/TCP']);
    expect(egress[1]?.to).toEqual([podsOf('citus-portal')]);
    expect(egress[2]?.to).toEqual(HTTPS_OUT);
    expect(egress[3]?.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'elasticsearch' } } }]);
  });

  it("lets only Kong reach analytics, and analytics reach only DNS, the portal, the platform's 8080 and HTTPS (DynamoDB, webhooks, vendors)", () => {
    const policy = policyOf(analytics);
    expect(policy?.podSelector.matchLabels).toEqual(analytics.spec?.selector.matchLabels);
    expect(policy?.ingress).toEqual([{ from: [FROM_KONG], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    const egress = policy?.egress ?? [];
    expect(portsOf(egress)).toEqual([...DNS_RULE_PORTS, '8080/TCP', '443/TCP']);
    expect(egress[1]?.to).toEqual([podsOf('citus-portal'), podsOf('citus-platform')]);
    expect(egress[2]?.to).toEqual(HTTPS_OUT);
  });

  it('lets Kong and the five other processes reach the portal, and the portal reach only DNS and HTTPS (Auth0)', () => {
    const policy = policyOf(portal);
    expect(policy?.podSelector.matchLabels).toEqual(portal.spec?.selector.matchLabels);
    expect(policy?.ingress).toEqual([
      {
        from: [FROM_KONG, podsOf('citus-device-lifecycle'), podsOf('citus-platform'), podsOf('citus-indexer'), podsOf('citus-analytics'), podsOf('citus-app-registry')],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
    // The pods named are the Deployments' own, so a renamed label cannot silently cut them off.
    for (const [name, deployment] of PROCESSES) expect([name, deployment.spec?.template.metadata?.labels?.['app.kubernetes.io/name']]).toEqual([name, name]);
    expect(portsOf(policy?.egress ?? [])).toEqual([...DNS_RULE_PORTS, '443/TCP']);
    expect(policy?.egress?.[1]?.to).toEqual([{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }]);
  });

  it('lets only Kong reach the app registry, and the app registry reach only DNS and the portal', () => {
    const policy = policyOf(appRegistry);
    expect(policy?.podSelector.matchLabels).toEqual(appRegistry.spec?.selector.matchLabels);
    expect(policy?.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kong' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
    expect(portsOf(policy?.egress ?? [])).toEqual([...DNS_RULE_PORTS, '8080/TCP']);
    expect(policy?.egress?.[1]?.to).toEqual([podsOf('citus-portal')]);
  });

  it('gives the portal and the app registry service accounts of their own, without the AWS role', () => {
    for (const deployment of [portal, appRegistry]) {
      const name = deployment.metadata?.name ?? '';
      expect(deployment.spec?.template.spec?.serviceAccountName).toBe(name);
      const account = named<{ automountServiceAccountToken: boolean }>('ServiceAccount', name);
      expect([name, account.metadata.annotations?.['eks.amazonaws.com/role-arn']]).toEqual([name, undefined]);
      expect(account.automountServiceAccountToken).toBe(false);
    }
  });

  it("gives the platform, the registry, the indexer and analytics the service account services-role.yaml's trust policy names, annotated for IRSA", () => {
    const parameters = readTemplate('services-role.yaml').Parameters ?? {};
    expect(podSpec?.serviceAccountName).toBe(parameters.ServiceAccountName?.Default);
    // The registry and the stream consumers call DynamoDB too, and the trust policy names one account: they share it.
    for (const [name, deployment] of AWS_CALLERS) expect([name, deployment.spec?.template.spec?.serviceAccountName]).toEqual([name, parameters.ServiceAccountName?.Default]);
    const account = named<{ automountServiceAccountToken: boolean }>('ServiceAccount', 'citus-platform');
    expect(account.metadata.namespace).toBe(parameters.ServiceAccountNamespace?.Default);
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it('enforces the restricted Pod Security Standard on the namespace', () => {
    expect(named('Namespace', 'citus').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });
});
