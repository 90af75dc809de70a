import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field paths that must never reach a log line. */
const SECRET_FIELDS = ['password', 'activationCode', 'privateKey', 'access_token', 'csr'];
const SECRET_HEADERS = ['authorization', 'cookie', '["x-api-key"]'];

/** pino's redaction has no "any depth": secrets are listed at the top and up to three levels down. */
const REDACT = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`]),
  ...SECRET_HEADERS.flatMap((header) => [`headers.${header}`, `*.headers.${header}`, `*.*.headers.${header}`]),
];

/** The one root logger of a process; components take `child({ module })` of it. */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const settings = {
    name: options.name ?? 'citus',
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
