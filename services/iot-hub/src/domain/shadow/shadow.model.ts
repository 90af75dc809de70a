import type { ShadowErrorCode } from '@citus/contracts';

export type JsonObject = Record<string, unknown>;

/** The name stored for a thing's classic (unnamed) shadow; named shadows need 1 character at least. */
export const CLASSIC_SHADOW = '';

/** Which shadow: shadows are kept per workspace, thing and shadow name. */
export interface ShadowKey {
  workspaceId: string;
  thingName: string;
  /** `CLASSIC_SHADOW` for the classic shadow. */
  shadowName: string;
}

export interface ShadowSections {
  desired?: JsonObject;
  reported?: JsonObject;
}

/** A shadow's content: state and its metadata tree, section by section. */
export interface ShadowContent {
  state: ShadowSections;
  metadata: ShadowSections;
}

/**
 * A shadow as stored. `content` is absent when it never existed or was deleted; `version` then
 * still holds the counter a new shadow continues from, as AWS IoT keeps it after a delete.
 */
export interface StoredShadow {
  version: number;
  content?: ShadowContent;
}

/** One write of a shadow (after an update or a delete), as the repository persists it. */
export interface ShadowWrite extends ShadowKey, StoredShadow {
  /** Epoch milliseconds. */
  updatedAt: number;
}

/** An expected refusal, as a value: AWS's error code and message. */
export interface ShadowError {
  code: ShadowErrorCode;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ShadowError };

export const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
export const refused = (code: ShadowErrorCode, message: string): { ok: false; error: ShadowError } => ({
  ok: false,
  error: { code, message },
});

/**
 * Port: durable shadows. Reads are for cache misses and answer at once (what is committed); writes
 * come in batches, one transaction each, and may be made elsewhere (a writer thread): they resolve
 * once committed, and are committed in the order they were asked for.
 */
export interface ShadowRepository {
  load(key: ShadowKey): StoredShadow | undefined;
  /** Writes every entry in one transaction; a later entry for the same key wins. */
  write(writes: ShadowWrite[]): Promise<void>;
  /** Removes every shadow of a thing, classic and named, version counters too; answers how many. */
  deleteThing(workspaceId: string, thingName: string): Promise<number>;
}
