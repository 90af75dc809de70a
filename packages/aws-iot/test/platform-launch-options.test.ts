import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// Beside the k8s manifest tests, since it reads infra/ and the compose file with the same YAML parser.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');
const OPTION = '--max-semi-space-size=64';

const startScript = (path: string): string => (JSON.parse(read(path)) as { scripts: Record<string, string> }).scripts.start ?? '';
/** The node options written before `main.js` in a start script. */
const nodeArgs = (script: string): string[] => /\bnode((?: --[\w-]+(?:=\S+)?)*) \S*main\.js/.exec(script)?.[1]?.trim().split(' ') ?? [];

/** The node options of each way the hub's process is started, as their files write them. */
function launchOptions(): Record<string, string[]> {
  const compose = parse(read('docker-compose.yaml')) as { services: Record<string, { environment?: Record<string, string> }> };
  const configMap = parse(read('infra/k8s/base/platform/config-map.yaml')) as { data: Record<string, string> };
  return {
    'npm start': nodeArgs(startScript('package.json')),
    'services/embedded start': nodeArgs(startScript('services/embedded/package.json')),
    'compose platform': (compose.services.platform?.environment?.NODE_OPTIONS ?? '').split(' '),
    'k8s citus-platform': (configMap.data.NODE_OPTIONS ?? '').split(' '),
    'bench platform': /PLATFORM_NODE_OPTIONS = \[([^\]]*)\]/.exec(read('bench/src/support/platform-process.ts'))?.[1]?.match(/--[^']+/g) ?? [],
  };
}

// The hub's node runs with a larger young generation wherever it is started, and the benchmarks
// measure it as it is started: one place missing the option would run, or measure, another hub.
describe('how the hub process is launched', () => {
  it('passes the same node options from npm start, compose, Kubernetes and the benchmarks', () => {
    for (const [where, list] of Object.entries(launchOptions())) expect([where, list]).toEqual([where, [OPTION]]);
  });

  it('leaves the other processes of the image at node\'s defaults (they have smaller memory limits)', () => {
    expect(read('Dockerfile')).not.toMatch(/NODE_OPTIONS/);
    const compose = parse(read('docker-compose.yaml')) as { services: Record<string, { environment?: Record<string, string> }> };
    const others = Object.entries(compose.services).filter(([name, service]) => name !== 'platform' && service.environment?.NODE_OPTIONS !== undefined);
    expect(others.map(([name]) => name)).toEqual([]);
  });

  it('gives the worker threads V8\'s default back before any other module of the platform runs', () => {
    // ESM evaluates a module's imports in order before its body: the first import runs first.
    const imports = read('services/embedded/src/main.ts').match(/^import .*$/gm) ?? [];
    expect(imports[0]).toBe("import './young-generation.js';");
    expect(read('services/embedded/src/young-generation.ts')).toMatch(/^defaultYoungGenerationForWorkers\(\);$/m);
  });

  it('uses an option this node accepts, on its command line and in NODE_OPTIONS', () => {
    const run = spawnSync(process.execPath, [OPTION, '-e', 'process.stdout.write("ok")'], { env: { ...process.env, NODE_OPTIONS: OPTION } });
    expect([run.status, run.stdout.toString(), run.stderr.toString()]).toEqual([0, 'ok', '']);
  });
});
