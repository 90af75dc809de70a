import { parseFlags, positiveInt } from '../support/cli-options.js';

export interface AnalyticsOptions {
  /** Series live at once, each with its own detector. */
  series: number;
  /** Points fed to every series. */
  points: number;
  /** Numeric fields per telemetry message (each field is a series of its thing). */
  fields: number;
  /** Messages per change-feed batch. */
  batch: number;
  /** Points per series between saves of the detector states (a device sending every second, saved every 60 s). */
  saveEvery: number;
}

export const ANALYTICS_USAGE = `pnpm bench analytics [options]   (each option also reads from the env variable shown)
  --series <n>        live series, each with its own detector     BENCH_SERIES      (10000)
  --points <n>        points fed to every series                  BENCH_POINTS      (1000)
  --fields <n>        numeric fields per telemetry message        BENCH_FIELDS      (5)
  --batch <n>         messages per change-feed batch              BENCH_BATCH       (500)
  --save-every <n>    points per series between state saves       BENCH_SAVE_EVERY  (60)`;

/** Flags win over environment variables, which win over the defaults. */
export function parseAnalyticsOptions(args: string[], env: NodeJS.ProcessEnv = process.env): AnalyticsOptions {
  const values = parseFlags(args, {
    series: { type: 'string' },
    points: { type: 'string' },
    fields: { type: 'string' },
    batch: { type: 'string' },
    'save-every': { type: 'string' },
  });
  return {
    series: positiveInt('series', values.series ?? env.BENCH_SERIES, 10_000, 200_000),
    points: positiveInt('points', values.points ?? env.BENCH_POINTS, 1000, 100_000),
    fields: positiveInt('fields', values.fields ?? env.BENCH_FIELDS, 5, 64),
    batch: positiveInt('batch', values.batch ?? env.BENCH_BATCH, 500, 100_000),
    saveEvery: positiveInt('save-every', values['save-every'] ?? env.BENCH_SAVE_EVERY, 60, 100_000),
  };
}
