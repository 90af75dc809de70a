import type { Deployment, InstallAppRequest } from '@citus/contracts';
import { conflict, notFound } from '@citus/kit';
import type { Actor, AppRepository } from '../domain/app.model.js';
import type { WorkspaceRef } from './app-catalog.service.js';
import type { DeploymentService } from './deployment.service.js';

/**
 * Installing a published app into the caller's workspace (story 8): a deployment there of the
 * version the marketplace lists, with the manifest's plain values and the installer's secrets.
 * It is the installer's deployment: listed, stopped and removed (uninstalled) there only, and
 * pinned to that version; the publisher's workspace never sees it.
 */
export class AppInstallService {
  constructor(
    private readonly apps: AppRepository,
    private readonly deployments: DeploymentService,
  ) {}

  async install(workspace: WorkspaceRef, appId: string, actor: Actor, request: InstallAppRequest): Promise<Deployment> {
    const listed = await this.apps.findListed(appId);
    if (!listed) throw notFound('app in the marketplace');
    const { app, version } = listed;
    if (app.workspaceId === workspace.id) {
      throw conflict(`${app.name} is this workspace's own app: deploy it (POST /api/v1/apps/${appId}/deployments) rather than install it`);
    }
    // `/apps/{workspace}/{app}/` names a deployment by app name: a local app of that name could never run beside it.
    const local = (await this.apps.listApps(workspace.id)).some((own) => own.name === app.name);
    if (local) {
      throw conflict(`this workspace has its own app named ${app.name}, and /apps/${workspace.slug}/${app.name}/ can lead to only one of them`);
    }
    return this.deployments.launch(workspace, version, actor, {
      env: request.env,
      follow: 'pinned',
      installedFrom: { workspaceId: app.workspaceId, workspaceSlug: app.workspaceSlug },
    });
  }
}
