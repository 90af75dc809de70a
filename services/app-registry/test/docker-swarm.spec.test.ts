import { HOST_BINDING_OPTION, ICC_OPTION, swarmNetworkProblem } from '../src/adapters/docker/docker-network.js';
import { publishedPorts, serviceSpec } from '../src/adapters/docker/docker-swarm.spec.js';
import { createContainerRuntime } from '../src/runtime.factory.js';
import { testContainerSpec } from './support/test-image.js';

const running = (ports: Array<{ TargetPort: number; PublishedPort: number; PublishMode?: string }>, state = 'running') => ({
  DesiredState: 'running',
  Status: { State: state, PortStatus: { Ports: ports.map((port) => ({ PublishMode: 'host', ...port })) } },
});

// The Swarm adapter's pure parts; the Docker tier runs them against a real swarm.
describe('Swarm service specs and task ports', () => {
  test('a service joins the app network, publishes $PORT in host mode on a port the engine picks, and stays on the given node', () => {
    const spec = { ...testContainerSpec('citus-dep-1', 40_123, { 'io.citus.workspace': 'ws-a' }), containerPort: 8080 };
    const service = serviceSpec(spec, 'citus-swarm-apps', 'node-1');
    expect(service.TaskTemplate?.Networks).toEqual([{ Target: 'citus-swarm-apps' }]);
    expect(service.TaskTemplate?.Placement).toEqual({ Constraints: ['node.id==node-1'] });
    // The port the app listens on is published; the host port is the single engine's business.
    expect(service.EndpointSpec).toEqual({ Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] });
    expect((service.TaskTemplate as { ContainerSpec: { Env: string[] } }).ContainerSpec.Env).toEqual(expect.arrayContaining(['HOST=0.0.0.0', 'PORT=8080']));
  });

  test('task ports: running tasks only, the deployed port only, IPv4 and IPv6 entries once, in order', () => {
    const tasks = [
      running([
        { TargetPort: 8080, PublishedPort: 32_771 },
        { TargetPort: 8080, PublishedPort: 32_771 },
      ]),
      running([{ TargetPort: 8080, PublishedPort: 32_768 }]),
      running([{ TargetPort: 9090, PublishedPort: 32_769 }]),
      running([{ TargetPort: 8080, PublishedPort: 32_770 }], 'starting'),
      { ...running([{ TargetPort: 8080, PublishedPort: 32_772 }]), DesiredState: 'shutdown' },
      running([{ TargetPort: 8080, PublishedPort: 30_000, PublishMode: 'ingress' }]),
      { DesiredState: 'running', Status: { State: 'running' } },
    ];
    expect(publishedPorts(tasks, 8080)).toEqual([32_768, 32_771]);
    expect(publishedPorts([], 8080)).toEqual([]);
  });

  test('a network made beforehand must be a swarm-scoped bridge whose config-only network isolates and binds 127.0.0.1', () => {
    const bridge = { Driver: 'bridge', Scope: 'swarm', ConfigFrom: { Network: 'apps-config' } };
    const isolating = { Options: { [ICC_OPTION]: 'false', [HOST_BINDING_OPTION]: '127.0.0.1' } };
    expect(swarmNetworkProblem('apps', bridge, isolating)).toBeUndefined();
    expect(swarmNetworkProblem('apps', { Driver: 'overlay', Scope: 'swarm' }, isolating)).toMatch(/swarm-scoped overlay network; Swarm apps need a swarm-scoped bridge/);
    expect(swarmNetworkProblem('apps', { Driver: 'bridge', Scope: 'local' }, isolating)).toMatch(/local-scoped bridge/);
    expect(swarmNetworkProblem('apps', { Driver: 'bridge', Scope: 'swarm' }, undefined)).toMatch(/no config-only network/);
    expect(swarmNetworkProblem('apps', bridge, { Options: { [HOST_BINDING_OPTION]: '127.0.0.1' } })).toBe(
      `network apps lets its containers reach each other (${ICC_OPTION} of apps-config is not false): remove apps and apps-config so the platform makes them, or name another network with CITUS_APP_SWARM_NETWORK`,
    );
    expect(swarmNetworkProblem('apps', bridge, { Options: { [ICC_OPTION]: 'false' } })).toMatch(/publishes ports on every interface .* beyond the platform's proxy/);
    expect(swarmNetworkProblem('apps', bridge, { Options: { [ICC_OPTION]: 'false', [HOST_BINDING_OPTION]: '0.0.0.0' } })).toMatch(/publishes ports on 0\.0\.0\.0/);
  });

  test('Swarm with the proxy in a container is refused when the runtime is made, naming why', () => {
    expect(() => createContainerRuntime({ CITUS_APP_RUNTIME: 'swarm', DOCKER_HOST: 'unix:///var/run/docker.sock', CITUS_APP_REACH: 'network' })).toThrow(
      /CITUS_APP_REACH=network works with CITUS_APP_RUNTIME=docker only/,
    );
    expect(createContainerRuntime({ CITUS_APP_RUNTIME: 'docker', DOCKER_HOST: 'unix:///var/run/docker.sock', CITUS_APP_REACH: 'network', CITUS_APP_PROXY_CONTAINER: 'app-registry' }).kind).toBe('docker');
  });
});
