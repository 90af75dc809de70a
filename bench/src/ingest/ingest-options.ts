import { parseFlags, positiveInt } from '../support/cli-options.js';
import { UsageError } from '../support/usage-error.js';

export const TARGETS = ['platform', 'baseline'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface IngestOptions {
  devices: number;
  durationSeconds: number;
  /** QoS 1 messages each device keeps in flight (published, not yet PUBACKed). */
  window: number;
  /** Put a device `@timestamp` in each payload instead of letting the hub use the receive time. */
  deviceTimestamps: boolean;
  targets: TargetName[];
  /** The paced phase after the max-rate one, on the platform only: its rate, and its length (0: no paced phase). */
  pacedRate: number;
  pacedDurationSeconds: number;
  /** When set, the children run with `--cpu-prof` and write their profiles here. */
  profileDir: string | undefined;
}

export const INGEST_USAGE = `pnpm bench ingest [options]   (each option also reads from the env variable shown)
  --devices <n>          simulated devices                     BENCH_DEVICES         (50)
  --duration <seconds>   max-rate publishing time per target   BENCH_DURATION        (15)
  --window <n>           QoS 1 messages in flight per device   BENCH_WINDOW          (16)
                         (the paced phase allows at least 64)
  --device-timestamps    send @timestamp in each payload       BENCH_DEVICE_TIMESTAMPS=1
  --targets <list>       platform,baseline                     BENCH_TARGETS         (both)
  --paced-rate <n>       msg/s of the paced platform phase     BENCH_PACED_RATE      (10000)
  --paced-duration <s>   its length, 0 for no paced phase      BENCH_PACED_DURATION  (20)
  --profile-dir <dir>    CPU-profile the child processes       BENCH_PROFILE_DIR
The platform's RSS is sampled every second of its max-rate phase. The paced phase follows it on the
platform: sampled messages are polled for through GET /api/v1/telemetry (publish-to-queryable) and
GET /api/v1/search (indexer lag).`;

function targetList(raw: string | undefined): TargetName[] {
  if (!raw) return [...TARGETS];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(TARGETS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`unknown target(s): ${unknown.join(', ')}`);
  return TARGETS.filter((target) => names.includes(target));
}

/** Like `positiveInt`, with 0 meaning "off". */
function secondsOrOff(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw !== undefined && raw.trim() !== '' && Number(raw) === 0) return 0;
  try {
    return positiveInt(name, raw, fallback, max);
  } catch {
    throw new UsageError(`${name} must be an integer from 0 to ${max}, not "${raw}"`);
  }
}

/** Flags win over environment variables, which win over the defaults. */
export function parseIngestOptions(args: string[], env: NodeJS.ProcessEnv = process.env): IngestOptions {
  const values = parseFlags(args, {
    devices: { type: 'string' },
    duration: { type: 'string' },
    window: { type: 'string' },
    'device-timestamps': { type: 'boolean' },
    targets: { type: 'string' },
    'paced-rate': { type: 'string' },
    'paced-duration': { type: 'string' },
    'profile-dir': { type: 'string' },
  });
  return {
    devices: positiveInt('devices', values.devices ?? env.BENCH_DEVICES, 50, 10_000),
    durationSeconds: positiveInt('duration', values.duration ?? env.BENCH_DURATION, 15, 3_600),
    window: positiveInt('window', values.window ?? env.BENCH_WINDOW, 16, 65_535),
    deviceTimestamps: values['device-timestamps'] ?? ['1', 'true'].includes(env.BENCH_DEVICE_TIMESTAMPS ?? ''),
    targets: targetList(values.targets ?? env.BENCH_TARGETS),
    pacedRate: positiveInt('paced-rate', values['paced-rate'] ?? env.BENCH_PACED_RATE, 10_000, 1_000_000),
    pacedDurationSeconds: secondsOrOff('paced-duration', values['paced-duration'] ?? env.BENCH_PACED_DURATION, 20, 3_600),
    profileDir: values['profile-dir'] ?? (env.BENCH_PROFILE_DIR || undefined),
  };
}
