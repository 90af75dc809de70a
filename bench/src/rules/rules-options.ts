import { parseFlags, positiveInt } from '../support/cli-options.js';

export interface RulesOptions {
  devices: number;
  /** Publishing time of each phase in each round: the default rule only, then with the extra rules. */
  durationSeconds: number;
  /** Rounds of the two phases, one after the other (default, rules, default, rules, ...), so a machine that drifts slows both alike. */
  rounds: number;
  /** QoS 1 messages each device keeps in flight (published, not yet PUBACKed). */
  window: number;
  /** Enabled rules created over REST before the second phase, on top of `store_telemetry`. */
  rules: number;
  /** When set, the platform runs with `--cpu-prof` and writes its profile here. */
  profileDir: string | undefined;
}

export const RULES_USAGE = `pnpm bench rules [options]   (each option also reads from the env variable shown)
  --devices <n>          simulated devices                     BENCH_DEVICES         (50)
  --duration <seconds>   publishing time of each phase a round BENCH_DURATION        (15)
  --rounds <n>           rounds of the two phases              BENCH_ROUNDS          (2)
  --window <n>           QoS 1 messages in flight per device   BENCH_WINDOW          (16)
  --rules <n>            rules added for the second phase      BENCH_RULES           (100)
  --profile-dir <dir>    CPU-profile the platform              BENCH_PROFILE_DIR
One platform process, the same devices and topic mix (telemetry/{thing}, telemetry/{thing}/env,
things/{thing}/status in turn) in two phases: only store_telemetry, then with the added rules
(republish, shadow, and http to a receiver on 127.0.0.1), disabled again for the next round's
first phase. Goal (issue 4 point 7): the rules phases' msg/s at least 80 % of the default ones'.`;

/** Flags win over environment variables, which win over the defaults. */
export function parseRulesOptions(args: string[], env: NodeJS.ProcessEnv = process.env): RulesOptions {
  const values = parseFlags(args, {
    devices: { type: 'string' },
    duration: { type: 'string' },
    window: { type: 'string' },
    rounds: { type: 'string' },
    rules: { type: 'string' },
    'profile-dir': { type: 'string' },
  });
  return {
    devices: positiveInt('devices', values.devices ?? env.BENCH_DEVICES, 50, 10_000),
    durationSeconds: positiveInt('duration', values.duration ?? env.BENCH_DURATION, 15, 3_600),
    rounds: positiveInt('rounds', values.rounds ?? env.BENCH_ROUNDS, 2, 20),
    window: positiveInt('window', values.window ?? env.BENCH_WINDOW, 16, 65_535),
    rules: positiveInt('rules', values.rules ?? env.BENCH_RULES, 100, 1_000),
    profileDir: values['profile-dir'] ?? (env.BENCH_PROFILE_DIR || undefined),
  };
}
