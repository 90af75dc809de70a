/** A secret value sealed with AES-256-GCM; only the cipher that sealed it opens it. */
export interface SealedSecret {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

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

/**
 * Port: seals and opens secret values. `context` (the workspace and name) is bound to the sealed
 * value, so a value copied to another workspace's row does not open there.
 */
export interface SecretCipher {
  seal(value: string, context: string): SealedSecret;
  /** Throws when the value was tampered with or sealed under another key or context. */
  open(sealed: SealedSecret, context: string): string;
}

/** What the platform's own code asks for: a secret's value by name, undefined when there is none. */
export interface SecretReader {
  reveal(workspaceId: string, name: string): Promise<string | undefined>;
}
