// `pnpm bench <name>`: runs one benchmark, prints its figures and writes bench-results/<name>.json.
import { ANALYTICS_USAGE } from './analytics/analytics-options.js';
import { runAnalyticsBenchmark } from './analytics/analytics.bench.js';
import { HUB_USAGE } from './hub/hub-options.js';
import { runHubBenchmark } from './hub/hub.bench.js';
import { INGEST_USAGE } from './ingest/ingest-options.js';
import { runIngestBenchmark } from './ingest/ingest.bench.js';
import { OTA_USAGE } from './ota/ota-options.js';
import { runOtaBenchmark } from './ota/ota.bench.js';
import { RULES_USAGE } from './rules/rules-options.js';
import { runRulesBenchmark } from './rules/rules.bench.js';
import { UsageError } from './support/usage-error.js';

const BENCHMARKS: Record<string, { run: (args: string[]) => Promise<void>; usage: string }> = {
  ingest: { run: runIngestBenchmark, usage: INGEST_USAGE },
  hub: { run: runHubBenchmark, usage: HUB_USAGE },
  analytics: { run: runAnalyticsBenchmark, usage: ANALYTICS_USAGE },
  rules: { run: runRulesBenchmark, usage: RULES_USAGE },
  ota: { run: runOtaBenchmark, usage: OTA_USAGE },
};

function usage(): string {
  const names = Object.keys(BENCHMARKS).join(' | ');
  return `usage: pnpm bench <${names}> [options]\n\n${Object.values(BENCHMARKS).map((b) => b.usage).join('\n\n')}`;
}

const [name, ...args] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : BENCHMARKS[name];
if (!benchmark) {
  console.error(name === undefined ? usage() : `unknown benchmark "${name}"\n\n${usage()}`);
  process.exit(2);
}

try {
  await benchmark.run(args);
  // Sockets of finished children may still hold the loop for a moment; the work is done. A failed
  // correctness check has set the exit code.
  process.exit(process.exitCode ?? 0);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage()}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
