import { TelemetryPayload } from '@citus/contracts';
import { storedPayloadText } from '@citus/dynamodb';

/**
 * The payload of a stored item, parsed. A payload the AWS IoT rule stored must pass the check the
 * hub applies at ingest (where it dead-letters the rest), or it is left out: undefined.
 */
export function decodeStoredPayload(stored: string): Record<string, unknown> | undefined {
  const { text, checked } = storedPayloadText(stored);
  if (checked) return JSON.parse(text) as Record<string, unknown>;
  return parseChecked(text);
}

/** The JSON object of a payload that passes the telemetry schema, or undefined. */
export function parseChecked(text: string): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return TelemetryPayload.safeParse(json).success ? (json as Record<string, unknown>) : undefined;
}
