import type { ApiKey, CreateApiKeyRequest, CreatedApiKey } from '@citus/contracts';
import { AppError, badRequest, newId, notFound, type AccessContext, type AppKeyIssuer } from '@citus/kit';
import type { ApiKeyRecord, ApiKeyRepository } from '../domain/api-key.model.js';
import { newKey, parseKey, secretMatches } from '../domain/api-key.secret.js';

const toApiKey = (record: ApiKeyRecord): ApiKey => ({
  id: record.id,
  name: record.name,
  scopes: record.scopes,
  createdBy: record.createdBy,
  createdAt: record.createdAt,
  expiresAt: record.expiresAt,
  revokedAt: record.revokedAt,
});

/** One answer for every key that does not check out, so a caller learns nothing about the ids. */
const invalidKey = (): AppError => new AppError('unauthorized', 'invalid, revoked or expired API key');

/**
 * API keys for scripts and apps (DESIGN, "Identity and access"): shown once, stored hashed,
 * scoped, revocable. A key acts in its workspace with the role `user` at most.
 */
export class ApiKeyService implements AppKeyIssuer {
  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** `createdBy` is `user:{userId}` for a person's key. */
  create(workspaceId: string, createdBy: string, request: CreateApiKeyRequest): CreatedApiKey {
    const expiresAt = request.expiresAt === undefined ? null : new Date(request.expiresAt);
    if (expiresAt && expiresAt.getTime() <= this.now()) throw badRequest('expiresAt must be in the future');
    const { record, key } = this.store(workspaceId, {
      name: request.name,
      scopes: request.scopes,
      createdBy,
      expiresAt: expiresAt?.toISOString() ?? null,
    });
    return { ...toApiKey(record), key };
  }

  list(workspaceId: string): ApiKey[] {
    return this.repository.listByWorkspace(workspaceId).map(toApiKey);
  }

  /** A key of another workspace is "not found", like a missing one. */
  revoke(workspaceId: string, id: string): void {
    if (this.repository.find(id)?.workspaceId !== workspaceId) throw notFound('API key');
    this.repository.revoke(id, new Date(this.now()).toISOString());
  }

  /**
   * The access a key grants: its own workspace (a named other one is "not found", as for people),
   * the role `user`, its scopes; until it expires.
   */
  async resolve(key: string, workspaceSlug?: string): Promise<AccessContext> {
    const parsed = parseKey(key);
    const record = parsed && this.repository.find(parsed.id);
    if (!parsed || !record || !secretMatches(parsed.secret, record.secretHash)) throw invalidKey();
    const expiresAt = record.expiresAt === null ? undefined : Date.parse(record.expiresAt);
    if (record.revokedAt !== null || (expiresAt !== undefined && expiresAt <= this.now())) throw invalidKey();
    if (workspaceSlug !== undefined && workspaceSlug !== record.workspaceSlug) throw notFound('workspace');
    return {
      userId: record.id,
      username: `api-key:${record.id}`,
      platformAdmin: false,
      workspace: { id: record.workspaceId, slug: record.workspaceSlug, role: 'user' },
      apiKey: { id: record.id, scopes: record.scopes },
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
  }

  async issueAppKey(request: Parameters<AppKeyIssuer['issueAppKey']>[0]): Promise<{ keyId: string; key: string }> {
    const { record, key } = this.store(request.workspaceId, {
      name: request.label,
      scopes: [...request.scopes],
      createdBy: `app:${request.label}`,
      expiresAt: null,
    });
    return { keyId: record.id, key };
  }

  async revokeAppKey(keyId: string): Promise<void> {
    this.repository.revoke(keyId, new Date(this.now()).toISOString());
  }

  private store(
    workspaceId: string,
    fields: Pick<ApiKeyRecord, 'name' | 'scopes' | 'createdBy' | 'expiresAt'>,
  ): { record: ApiKeyRecord; key: string } {
    const id = newId('apk');
    const { key, secretHash } = newKey(id);
    const record: ApiKeyRecord = {
      id,
      workspaceId,
      ...fields,
      secretHash,
      createdAt: new Date(this.now()).toISOString(),
      revokedAt: null,
    };
    if (this.repository.insert(record) === 'no_such_workspace') throw notFound('workspace');
    return { record, key };
  }
}
