import { parseFlags, positiveInt } from '../support/cli-options.js';

export interface HubOptions {
  /** Connected devices driving shadow updates and jobs. */
  devices: number;
  /** Idle TLS devices connected for the memory figure. */
  idleDevices: number;
  /** Shadow updates measured for this long, after the warm-up. */
  durationSeconds: number;
  warmupSeconds: number;
  /** Shadow updates each device keeps in flight (sent, reply not yet received). */
  window: number;
  /** Jobs created, each targeting every one of the `devices`: the queue each device works through. */
  jobs: number;
  /** Child processes holding the idle connections. */
  clientProcesses: number;
  /** When set, the platform runs with `--cpu-prof` and writes its profiles here. */
  profileDir: string | undefined;
}

export const HUB_USAGE = `pnpm bench hub [options]   (each option also reads from the env variable shown)
  --devices <n>           devices for shadow and jobs load     BENCH_DEVICES           (1000)
  --idle-devices <n>      idle TLS devices for memory          BENCH_IDLE_DEVICES      (10000)
  --duration <seconds>    shadow updates measured              BENCH_DURATION          (10)
  --warmup <seconds>      shadow updates before measuring      BENCH_WARMUP            (3)
  --window <n>            shadow updates in flight per device  BENCH_WINDOW            (2)
  --jobs <n>              jobs, each for all the devices       BENCH_JOBS              (5)
  --client-processes <n>  processes holding idle connections   BENCH_CLIENT_PROCESSES  (2)
  --profile-dir <dir>     CPU-profile the platform             BENCH_PROFILE_DIR`;

/** Flags win over environment variables, which win over the defaults. */
export function parseHubOptions(args: string[], env: NodeJS.ProcessEnv = process.env): HubOptions {
  const values = parseFlags(args, {
    devices: { type: 'string' },
    'idle-devices': { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    window: { type: 'string' },
    jobs: { type: 'string' },
    'client-processes': { type: 'string' },
    'profile-dir': { type: 'string' },
  });
  const devices = positiveInt('devices', values.devices ?? env.BENCH_DEVICES, 1000, 10_000);
  const idleDevices = positiveInt('idle-devices', values['idle-devices'] ?? env.BENCH_IDLE_DEVICES, 10_000, 50_000);
  return {
    devices,
    idleDevices,
    durationSeconds: positiveInt('duration', values.duration ?? env.BENCH_DURATION, 10, 3_600),
    warmupSeconds: positiveInt('warmup', values.warmup ?? env.BENCH_WARMUP, 3, 600),
    window: positiveInt('window', values.window ?? env.BENCH_WINDOW, 2, 1_000),
    jobs: positiveInt('jobs', values.jobs ?? env.BENCH_JOBS, 5, 100),
    clientProcesses: positiveInt('client-processes', values['client-processes'] ?? env.BENCH_CLIENT_PROCESSES, 2, 16),
    profileDir: values['profile-dir'] ?? (env.BENCH_PROFILE_DIR || undefined),
  };
}
