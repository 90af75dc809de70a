import type { Secret } from '@citus/contracts';
import { notFound } from '@citus/kit';
import type { SecretCipher, SecretReader, SecretRepository, StoredSecret } from '../domain/secret.port.js';

const contextOf = (workspaceId: string, name: string): string => `citus-secret\u0000${workspaceId}\u0000${name}`;

const view = (secret: StoredSecret): Secret => ({
  name: secret.name,
  createdAt: new Date(secret.createdAt).toISOString(),
  updatedAt: new Date(secret.updatedAt).toISOString(),
});

/** Write-only workspace secrets: people set, list (names only) and delete them; the platform reveals them to itself. */
export class SecretService implements SecretReader {
  constructor(
    private readonly repository: SecretRepository,
    private readonly cipher: SecretCipher,
    private readonly now: () => number = Date.now,
  ) {}

  async put(workspaceId: string, name: string, value: string): Promise<Secret> {
    const at = this.now();
    const sealed = this.cipher.seal(value, contextOf(workspaceId, name));
    return view(await this.repository.put({ workspaceId, name, sealed, createdAt: at, updatedAt: at }));
  }

  async list(workspaceId: string): Promise<Secret[]> {
    return (await this.repository.list(workspaceId)).map(view);
  }

  async delete(workspaceId: string, name: string): Promise<void> {
    if (!(await this.repository.delete(workspaceId, name))) throw notFound('secret');
  }

  async reveal(workspaceId: string, name: string): Promise<string | undefined> {
    const stored = await this.repository.find(workspaceId, name);
    return stored && this.cipher.open(stored.sealed, contextOf(workspaceId, name));
  }
}
