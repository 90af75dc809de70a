import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseImageReference, type AppWebhook, type DockerHubPushPayload, type RedeployOutcome, type WebhookDelivery } from '@citus/contracts';
import { badRequest, conflict, newId, notFound } from '@citus/kit';
import type { Actor, AppRepository, AppVersionRecord } from '../domain/app.model.js';
import type { AppWebhookRecord, AppWebhookRepository } from '../domain/app-webhook.model.js';
import type { DeploymentRepository } from '../domain/deployment.model.js';
import { deploymentsToRedeploy, sameRepository, versionForTag } from '../domain/delivery.rules.js';
import { applyAction } from './app-version.transitions.js';
import type { DeploymentService } from './deployment.service.js';

/** Who the audit trail names for what a webhook did: no person pushed through the platform. */
export const WEBHOOK_ACTOR: Actor = { userId: 'webhook', username: 'webhook' };

const sha256 = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Continuous delivery (issue 7 point 5): a Docker Hub webhook per app turns each pushed tag into a
 * new version, reviewed as the app's policy says; once a version is approved, the deployments
 * following the app get it.
 */
export class ContinuousDeliveryService {
  constructor(
    private readonly apps: AppRepository,
    private readonly hooks: AppWebhookRepository,
    private readonly deploymentRecords: DeploymentRepository,
    private readonly deployments: DeploymentService,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new URL for the app, answered this once; the app's previous one stops working. */
  async createWebhook(workspaceId: string, appId: string, actor: Actor): Promise<AppWebhook> {
    if (!(await this.apps.findApp(workspaceId, appId))) throw notFound('app');
    const secret = randomBytes(32).toString('base64url');
    const hook: AppWebhookRecord = { hookId: newId('hook'), appId, workspaceId, secretSha256: sha256(secret), createdAt: this.now(), createdBy: actor.userId };
    await this.hooks.save(hook);
    return { appId, hookId: hook.hookId, url: `/hooks/apps/${hook.hookId}/${secret}`, createdAt: new Date(hook.createdAt).toISOString() };
  }

  /** The webhook the URL names, if its secret is right; one answer for an unknown hook and a wrong secret, so neither can be probed. */
  async webhook(hookId: string, secret: string): Promise<AppWebhookRecord> {
    const hook = await this.hooks.find(hookId);
    if (!hook || !timingSafeEqual(hook.secretSha256, sha256(secret))) throw notFound('webhook');
    return hook;
  }

  /** The pushed tag becomes a new version: a copy of the newest manifest with that image; approved at once if the policy says so. */
  async receive(hook: AppWebhookRecord, push: DockerHubPushPayload): Promise<WebhookDelivery> {
    const app = await this.apps.findApp(hook.workspaceId, hook.appId);
    const versions = await this.apps.listVersions(hook.workspaceId, hook.appId);
    const newest = versions.at(-1);
    if (!app || !newest) throw notFound('webhook');
    const repository = parseImageReference(newest.manifest.image)?.repository ?? newest.manifest.image;
    if (!sameRepository(repository, push.repository.repo_name)) {
      throw badRequest(`this app's images are ${repository}, not ${push.repository.repo_name}`);
    }
    const label = versionForTag(push.push_data.tag, newest.version, versions.map((version) => version.version));
    const at = this.now();
    const created: AppVersionRecord = {
      workspaceId: app.workspaceId,
      appId: app.appId,
      version: label,
      status: 'draft',
      manifest: { ...newest.manifest, version: label, image: `${repository}:${push.push_data.tag}` },
      createdAt: at,
      createdBy: WEBHOOK_ACTOR,
      updatedAt: at,
    };
    // Another push made the same label first.
    if (!(await this.apps.insertVersion(created))) throw conflict(`app ${app.name} has a version ${label}: push again`);
    const submitted = await applyAction(this.apps, at, created, 'submit', WEBHOOK_ACTOR);
    if (!app.autoApprove) return delivery(submitted, []);
    const approved = await applyAction(this.apps, this.now(), submitted, 'approve', WEBHOOK_ACTOR);
    return delivery(approved, await this.afterApproval(approved));
  }

  /** Redeploys the app's following deployments that run an older version, one at a time (each frees and takes a port). */
  async afterApproval(approved: AppVersionRecord): Promise<RedeployOutcome[]> {
    const versions = await this.apps.listVersions(approved.workspaceId, approved.appId);
    const records = await this.deploymentRecords.list(approved.workspaceId, approved.appId);
    const outcomes: RedeployOutcome[] = [];
    // An image named without tag or digest is the registry's `latest`.
    const reference = parseImageReference(approved.manifest.image);
    const tag = reference?.tag ?? (reference?.digest ? undefined : 'latest');
    for (const record of deploymentsToRedeploy(records, versions.map((version) => version.version), approved.version, tag)) {
      outcomes.push(await this.deployments.replace(record, versions.find((version) => version.version === record.version), approved));
    }
    return outcomes;
  }
}

function delivery(version: AppVersionRecord, redeployments: RedeployOutcome[]): WebhookDelivery {
  return { appId: version.appId, version: version.version, status: version.status, image: version.manifest.image, redeployments };
}
