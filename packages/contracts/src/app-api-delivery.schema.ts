import { z } from 'zod';
import { AppId, AppVersionLabel, AppVersionStatus } from './app.schema.js';
import { DeploymentEnv, DeploymentId } from './app-api-deployment.schema.js';

export const WebhookId = z.string().regex(/^hook_[0-9a-f]{24}$/, 'a webhook id (hook_ and 24 hex digits)');
export type WebhookId = z.infer<typeof WebhookId>;

export const WebhookPathParams = z.object({ hookId: WebhookId, secret: z.string().min(1).max(128) });
export type WebhookPathParams = z.infer<typeof WebhookPathParams>;

/** Answered once, when made: only a hash of the secret is kept, so a lost URL is replaced by a new one. */
export const AppWebhook = z.object({
  appId: AppId,
  hookId: WebhookId,
  /** `/hooks/apps/{hookId}/{secret}`, from the platform's root: Docker Hub sends no headers, so the secret is in the path. */
  url: z.string(),
  createdAt: z.string(),
});
export type AppWebhook = z.infer<typeof AppWebhook>;

/** A Docker tag: the grammar of github.com/distribution/reference. */
const DockerTag = z.string().regex(/^[\w][\w.-]{0,127}$/, 'a Docker image tag');

/**
 * What Docker Hub POSTs when a tag is pushed (docs.docker.com/docker-hub/repos/manage/webhooks):
 * `push_data.tag` and `repository.repo_name` (`namespace/name`) are what the platform reads; the
 * other fields it sends (callback_url, pusher, dates, ...) are accepted and left alone.
 */
export const DockerHubPushPayload = z.object({
  push_data: z.object({ tag: DockerTag }),
  repository: z.object({ repo_name: z.string().min(1).max(255) }),
});
export type DockerHubPushPayload = z.infer<typeof DockerHubPushPayload>;

/** `redeployed`: it runs the new version; `failed`: it could not be started, and runs its old version again if `detail` says so. */
export const RedeployOutcome = z.object({
  deploymentId: DeploymentId,
  from: AppVersionLabel,
  to: AppVersionLabel,
  outcome: z.enum(['redeployed', 'failed']),
  detail: z.string().optional(),
});
export type RedeployOutcome = z.infer<typeof RedeployOutcome>;

/** What a push did: the version it made, its status, and the deployments that follow the app. */
export const WebhookDelivery = z.object({
  appId: AppId,
  version: AppVersionLabel,
  status: AppVersionStatus,
  image: z.string(),
  redeployments: z.array(RedeployOutcome),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** Values for the app's declared secrets (every one) and overrides of its plain values, as for a deployment. */
export const InstallAppRequest = z.object({ env: DeploymentEnv.default({}) }).strict();
export type InstallAppRequest = z.infer<typeof InstallAppRequest>;
