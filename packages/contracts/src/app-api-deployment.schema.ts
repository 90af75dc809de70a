import { z } from 'zod';
import { WorkspaceSlug } from './identity.schema.js';
import { AppActor } from './app-api.schema.js';
import { AppId, AppName, AppVersionLabel, EnvName, MAX_APP_ENV_VARS, MAX_ENV_VALUE_CHARS } from './app.schema.js';

/** Replicas a deployment may ask for: a Swarm service of an app, not a cluster's worth. */
export const MAX_DEPLOYMENT_REPLICAS = 10;
export const MAX_LOG_TAIL = 10_000;

export const DeploymentId = z.string().regex(/^dep_[0-9a-f]{24}$/, 'a deployment id (dep_ and 24 hex digits)');
export type DeploymentId = z.infer<typeof DeploymentId>;

export const DeploymentPathParams = z.object({ deploymentId: DeploymentId });
export type DeploymentPathParams = z.infer<typeof DeploymentPathParams>;

/**
 * Values of a deployment's variables: every one of the manifest's declared secrets, and overrides
 * of its plain values; no other name is accepted. The values are never returned.
 */
export const DeploymentEnv = z
  .record(z.string(), z.string().max(MAX_ENV_VALUE_CHARS, `at most ${MAX_ENV_VALUE_CHARS} characters`))
  .refine((env) => Object.keys(env).length <= MAX_APP_ENV_VARS, `at most ${MAX_APP_ENV_VARS} variables`)
  .superRefine((env, context) => {
    // Checked here rather than as the record's key schema, which would only say "Invalid key in record".
    for (const name of Object.keys(env)) {
      for (const issue of EnvName.safeParse(name).error?.issues ?? []) {
        context.addIssue({ code: 'custom', message: `${name}: ${issue.message}`, path: [name] });
      }
    }
  });
export type DeploymentEnv = z.infer<typeof DeploymentEnv>;

/**
 * `tag`: the deployment follows the app's new versions (an image tag pushed to the app's webhook,
 * or a newer version approved), redeployed with each once a platform admin (or the app's
 * auto-approve policy) approved it. `pinned`: it runs its version until someone changes it.
 */
export const DeploymentFollow = z.enum(['tag', 'pinned']);
export type DeploymentFollow = z.infer<typeof DeploymentFollow>;

/**
 * With `follow: tag`, the one image tag the deployment follows (`stable`, say): only versions whose
 * image has that tag redeploy it, so a push of `dev` leaves it alone. Without it, every newer
 * approved version does.
 */
export const FollowTag = z.string().regex(/^\w[\w.-]{0,127}$/, 'a Docker image tag: letters, digits, "_", "." and "-", at most 128');

const tagNeedsFollow = (request: { follow?: DeploymentFollow | undefined; followTag?: string | undefined }) => request.followTag === undefined || request.follow === 'tag';
const TAG_NEEDS_FOLLOW = { message: 'followTag needs follow: tag', path: ['followTag'] };

export const CreateDeploymentRequest = z
  .object({ version: AppVersionLabel, env: DeploymentEnv.default({}), follow: DeploymentFollow.default('pinned'), followTag: FollowTag.optional() })
  .strict()
  .refine(tagNeedsFollow, TAG_NEEDS_FOLLOW);
export type CreateDeploymentRequest = z.infer<typeof CreateDeploymentRequest>;

/**
 * The engine's view; `unknown` when the engine cannot be asked. `unhealthy`: the engine runs it, but
 * it did not answer the manifest's health check, which the platform probes (`GET` of its path on the
 * deployment's port, 2xx within the check's timeout, at most 3 s) when the deployment is shown; see
 * `detail`. Deployments made before the platform checked are not checked.
 */
export const DeploymentStatus = z.enum(['starting', 'running', 'unhealthy', 'stopped', 'failed', 'missing', 'unknown']);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const Deployment = z.object({
  deploymentId: DeploymentId,
  appId: AppId,
  appName: AppName,
  version: AppVersionLabel,
  workspaceSlug: WorkspaceSlug,
  /** Where members of the workspace reach it through the platform: `/apps/{workspace}/{app}/`. */
  url: z.string(),
  status: DeploymentStatus,
  /** What the engine said about a failure, why the status is unknown, or what the health check answered. */
  detail: z.string().optional(),
  replicas: z.object({ desired: z.number().int(), running: z.number().int() }).optional(),
  /** Names of the variables this deployment sets (secrets and overrides); their values are never returned. */
  variables: z.array(z.string()),
  follow: DeploymentFollow,
  followTag: FollowTag.optional(),
  /** For an app installed from the marketplace: the workspace that publishes it. */
  installedFrom: WorkspaceSlug.optional(),
  createdAt: z.string(),
  createdBy: AppActor,
});
export type Deployment = z.infer<typeof Deployment>;

export const DeploymentList = z.object({ items: z.array(Deployment) });
export type DeploymentList = z.infer<typeof DeploymentList>;

export const DeploymentListQuery = z.object({ appId: AppId.optional() });
export type DeploymentListQuery = z.infer<typeof DeploymentListQuery>;

export const ScaleDeploymentRequest = z
  .object({ replicas: z.number().int().min(0).max(MAX_DEPLOYMENT_REPLICAS, `at most ${MAX_DEPLOYMENT_REPLICAS} replicas`) })
  .strict();
export type ScaleDeploymentRequest = z.infer<typeof ScaleDeploymentRequest>;

export const UpdateDeploymentRequest = z.object({ follow: DeploymentFollow, followTag: FollowTag.optional() }).strict().refine(tagNeedsFollow, TAG_NEEDS_FOLLOW);
export type UpdateDeploymentRequest = z.infer<typeof UpdateDeploymentRequest>;

const QueryFlag = z.enum(['true', 'false']).transform((flag) => flag === 'true');

export const DeploymentLogsQuery = z.object({
  /** Keep the response open and send new lines as they come, until the client goes. */
  follow: QueryFlag.default(false),
  /** Only the last lines (before following). */
  tail: z.coerce.number().int().min(1).max(MAX_LOG_TAIL).default(200),
});
export type DeploymentLogsQuery = z.infer<typeof DeploymentLogsQuery>;
