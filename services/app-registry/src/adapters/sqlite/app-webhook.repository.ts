import type { SqliteDatabase } from '@citus/sqlite';
import type { AppWebhookRecord, AppWebhookRepository } from '../../domain/app-webhook.model.js';

interface WebhookRow {
  hook_id: string;
  app_id: string;
  workspace_id: string;
  secret_sha256: Buffer;
  created_at: number;
  created_by: string;
}

/** Webhooks in `apps.db`, one per app. */
export class SqliteAppWebhookRepository implements AppWebhookRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      deleteOfApp: db.prepare('DELETE FROM app_webhooks WHERE app_id = ?'),
      insert: db.prepare(`INSERT INTO app_webhooks (hook_id, app_id, workspace_id, secret_sha256, created_at, created_by)
        VALUES (@hookId, @appId, @workspaceId, @secretSha256, @createdAt, @createdBy)`),
      find: db.prepare('SELECT hook_id, app_id, workspace_id, secret_sha256, created_at, created_by FROM app_webhooks WHERE hook_id = ?'),
    };
  }

  async save(hook: AppWebhookRecord): Promise<void> {
    this.db.transaction(() => {
      this.statements.deleteOfApp.run(hook.appId);
      this.statements.insert.run(hook);
    })();
  }

  async find(hookId: string): Promise<AppWebhookRecord | undefined> {
    const row = this.statements.find.get(hookId) as WebhookRow | undefined;
    return (
      row && {
        hookId: row.hook_id,
        appId: row.app_id,
        workspaceId: row.workspace_id,
        secretSha256: row.secret_sha256,
        createdAt: row.created_at,
        createdBy: row.created_by,
      }
    );
  }
}
