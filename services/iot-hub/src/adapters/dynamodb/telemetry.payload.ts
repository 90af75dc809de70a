import { TelemetryPayload } from '@citus/contracts';

/**
 * The prefix of a payload the AWS IoT telemetry rule stored (`RULE_PAYLOAD_PREFIX` of @citus/aws-iot,
 * which the DynamoDB tests hold equal): AWS IoT SQL cannot store the payload as its JSON text, only
 * its bytes base64-encoded. No JSON text starts with `b`, so the hub's payloads never carry it.
 */
export const RULE_PAYLOAD_PREFIX = 'base64:';

/**
 * The payload of a stored item. The hub stores the JSON text of a payload it has already checked;
 * the rule stores whatever the device published, unchecked, so its payloads must pass the check the
 * hub applies at ingest (where it dead-letters the rest) or are left out: undefined.
 */
export function decodeStoredPayload(stored: string): Record<string, unknown> | undefined {
  if (!stored.startsWith(RULE_PAYLOAD_PREFIX)) return JSON.parse(stored) as Record<string, unknown>;
  const text = Buffer.from(stored.slice(RULE_PAYLOAD_PREFIX.length), 'base64').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return TelemetryPayload.safeParse(json).success ? (json as Record<string, unknown>) : undefined;
}
