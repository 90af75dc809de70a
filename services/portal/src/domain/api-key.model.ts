import type { ApiKeyScope } from '@citus/contracts';

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  name: string;
  scopes: ApiKeyScope[];
  /** SHA-256 of the secret part of the key; the key itself is never stored. */
  secretHash: Buffer;
  /** `user:{userId}` or `app:{label}`. */
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A key's record with the slug of its workspace, as authentication needs it. */
export type ApiKeyWithWorkspace = ApiKeyRecord & { workspaceSlug: string };

/** Port: where API keys are kept. */
export interface ApiKeyRepository {
  /** `no_such_workspace` when the key's workspace does not exist (any longer). */
  insert(key: ApiKeyRecord): 'inserted' | 'no_such_workspace';
  find(id: string): ApiKeyWithWorkspace | undefined;
  listByWorkspace(workspaceId: string): ApiKeyRecord[];
  /** Marks the key revoked at `at` unless it already is; false when no such key. */
  revoke(id: string, at: string): boolean;
}
