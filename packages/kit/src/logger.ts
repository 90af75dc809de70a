import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field paths that must never reach a log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.password',
  '*.activationCode',
  '*.privateKey',
  '*.access_token',
  'password',
  'activationCode',
  'privateKey',
];

/** The one root logger of a process; components take `child({ module })` of it. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'citus',
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
  });
}
