import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const OPTION = '--max-semi-space-size=64';

/** The node options of each way the platform is started, as their files write them. */
function launchOptions(): Record<string, string[]> {
  const scriptOf = (path: string) => (JSON.parse(read(path)) as { scripts: Record<string, string> }).scripts.start ?? '';
  const nodeArgs = (script: string) => /\bnode((?: --[\w-]+(?:=\S+)?)*) \S*main\.js/.exec(script)?.[1]?.trim().split(' ') ?? [];
  return {
    'npm start': nodeArgs(scriptOf('package.json')),
    'services/embedded start': nodeArgs(scriptOf('services/embedded/package.json')),
    Dockerfile: /^\s*NODE_OPTIONS=(\S+)/m.exec(read('Dockerfile'))?.[1]?.split(' ') ?? [],
    'bench platform': /PLATFORM_NODE_OPTIONS = \[([^\]]*)\]/.exec(read('bench/src/support/platform-process.ts'))?.[1]?.match(/--[^']+/g) ?? [],
  };
}

// The platform's node runs with a larger young generation wherever it is started, and the benchmarks
// measure it as it is started: one place missing the option would run, or measure, another platform.
describe('how the platform is launched', () => {
  it('passes the same node options from npm start, the image and the benchmarks', () => {
    const options = launchOptions();
    for (const [where, list] of Object.entries(options)) expect([where, list]).toEqual([where, [OPTION]]);
  });

  it('uses an option this node accepts (NODE_OPTIONS allows it too)', () => {
    const run = spawnSync(process.execPath, [OPTION, '-e', 'process.stdout.write("ok")'], { env: { ...process.env, NODE_OPTIONS: OPTION } });
    expect([run.status, run.stdout.toString(), run.stderr.toString()]).toEqual([0, 'ok', '']);
  });
});
