/** An app's webhook: its URL's secret is kept only as a hash. */
export interface AppWebhookRecord {
  hookId: string;
  appId: string;
  workspaceId: string;
  /** SHA-256 of the secret: 32 random bytes need no slow hash, a guess is as hard as the secret. */
  secretSha256: Buffer;
  createdAt: number;
  /** The user id of the developer who made it. */
  createdBy: string;
}

/** Port: where webhooks are kept, one per app. */
export interface AppWebhookRepository {
  /** Replaces the app's webhook, if it had one: its old URL stops working. */
  save(hook: AppWebhookRecord): Promise<void>;
  find(hookId: string): Promise<AppWebhookRecord | undefined>;
}
