import { pino } from 'pino';
import { createLogger, type Logger } from '../../src/logger.js';

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines(): Array<Record<string, unknown>>;
  /** Every line written so far, as written. */
  text(): string;
}

/**
 * The real `createLogger` (its level, name and redaction), with its output captured instead of
 * written to stdout. `createLogger` takes no destination, so the stream is swapped through pino's
 * own `streamSym`; children made afterwards inherit it.
 */
export function captureLogger(level = 'info'): CapturedLogger {
  const chunks: string[] = [];
  const logger = createLogger({ level });
  (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = {
    write: (chunk: string) => chunks.push(chunk),
  };
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
