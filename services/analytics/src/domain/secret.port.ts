import type { SealedSecret } from '@citus/kit';

/** The cipher is the platform's one (kit), under the data dir's one key that app deployments use too. */
export type { SealedSecret, SecretCipher } from '@citus/kit';

export interface StoredSecret {
  workspaceId: string;
  name: string;
  sealed: SealedSecret;
  createdAt: number;
  updatedAt: number;
}

/** Port: workspace secrets at rest, sealed; the store never sees a value. */
export interface SecretRepository {
  /** Inserts or replaces; a replacement keeps the first `createdAt`. */
  put(secret: StoredSecret): Promise<StoredSecret>;
  find(workspaceId: string, name: string): Promise<StoredSecret | undefined>;
  list(workspaceId: string): Promise<StoredSecret[]>;
  /** False when there was none. */
  delete(workspaceId: string, name: string): Promise<boolean>;
}

/** What the platform's own code asks for: a secret's value by name, undefined when there is none. */
export interface SecretReader {
  reveal(workspaceId: string, name: string): Promise<string | undefined>;
}
