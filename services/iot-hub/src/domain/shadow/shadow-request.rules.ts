import {
  jsonDepth,
  ShadowClientToken,
  MAX_SHADOW_DEPTH,
  MAX_SHADOW_STATE_BYTES,
  ShadowName,
  ShadowRequest,
  ShadowUpdateRequest,
} from '@citus/contracts';
import type { z } from 'zod';
import { CLASSIC_SHADOW, ok, refused, type Checked, type ShadowSections } from './shadow.model.js';
import { isObject } from './shadow-state.rules.js';

// Request checks in the order AWS IoT reports them, with its messages ("Device Shadow error messages").

/** What a request arrived as: an MQTT payload, or a body express already parsed. */
export type ShadowInput = { payload: Buffer } | { body: unknown };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const TOO_LARGE = 'The payload exceeds the maximum size allowed';

/** The request as JSON. An empty payload is `{}`: get and delete are sent empty. */
export function readInput(input: ShadowInput): Checked<unknown> {
  if ('body' in input) return ok(input.body ?? {});
  if (input.payload.length === 0) return ok({});
  let text: string;
  try {
    text = utf8.decode(input.payload);
  } catch {
    return refused(415, 'Unsupported documented encoding; supported encoding is UTF-8');
  }
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return refused(400, 'Invalid JSON');
  }
}

/** The request's `clientToken` if it is a valid one: it is echoed in rejections too. */
export function clientTokenOf(request: unknown): string | undefined {
  if (!isObject(request)) return undefined;
  const parsed = ShadowClientToken.safeParse(request.clientToken);
  return parsed.success ? parsed.data : undefined;
}

/** The shadow name of a topic or query; none is the classic shadow. */
export function checkShadowName(name: string | undefined): Checked<string> {
  if (name === undefined) return ok(CLASSIC_SHADOW);
  return ShadowName.safeParse(name).success ? ok(name) : refused(400, 'Invalid shadow name');
}

function checked<S extends z.ZodType>(schema: S, value: unknown): Checked<z.infer<S>> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return ok(parsed.data);
  return refused(400, parsed.error.issues[0]?.message ?? 'Invalid JSON');
}

/** A get or delete request: `{clientToken?}`. */
export const checkRequest = (value: unknown): Checked<ShadowRequest> => checked(ShadowRequest, value);

/** Levels of objects and arrays in a value: `{"a": 1}` is 1, a plain value 0. */
export const depthOf = (value: unknown): number => jsonDepth(value, MAX_SHADOW_DEPTH);

/** The size AWS limits to 8 KB: the state as JSON, metadata excluded. */
export const stateBytes = (state: ShadowSections | ShadowUpdateRequest['state']): number =>
  Buffer.byteLength(JSON.stringify(state));

/** An update request: its shape, then nesting (6 levels in a section), then the 8 KB of state. */
export function checkUpdate(value: unknown): Checked<ShadowUpdateRequest> {
  const request = checked(ShadowUpdateRequest, value);
  if (!request.ok) return request;
  const { desired, reported } = request.value.state;
  if (depthOf(desired) > MAX_SHADOW_DEPTH || depthOf(reported) > MAX_SHADOW_DEPTH) {
    return refused(400, `JSON contains too many levels of nesting; maximum is ${MAX_SHADOW_DEPTH}`);
  }
  if (stateBytes(request.value.state) > MAX_SHADOW_STATE_BYTES) return refused(413, TOO_LARGE);
  return request;
}
