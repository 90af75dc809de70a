import type { App, AppAuditTrail, AppList, AppManifest, AppVersion } from '@citus/contracts';
import { badRequest, conflict, newId, notFound } from '@citus/kit';
import type { Actor, AppRecord, AppRepository, AppVersionRecord } from '../domain/app.model.js';
import { appView, auditView, summaryView, versionView } from './app.views.js';
import { applyAction, canDeploy } from './app-version.transitions.js';

export interface WorkspaceRef {
  id: string;
  slug: string;
}

/**
 * A workspace's apps as its members see them (story 4): creating apps and versions, submitting
 * them for review and publishing approved ones. Every call is scoped to one workspace; an app of
 * another answers not found. Who may call what (the developer role) is the HTTP adapter's check.
 */
export class AppCatalogService {
  constructor(
    private readonly repository: AppRepository,
    private readonly now: () => number = Date.now,
  ) {}

  async create(workspace: WorkspaceRef, actor: Actor, manifest: AppManifest): Promise<App> {
    const at = this.now();
    const app: AppRecord = {
      workspaceId: workspace.id,
      workspaceSlug: workspace.slug,
      appId: newId('app'),
      name: manifest.name,
      createdAt: at,
      createdBy: actor,
      autoApprove: false,
    };
    const first = draft(app, manifest, actor, at);
    if (!(await this.repository.insertApp(app, first))) throw conflict(`this workspace has an app named ${manifest.name}`);
    return appView(app, [first]);
  }

  async list(workspaceId: string): Promise<AppList> {
    return { items: (await this.repository.listApps(workspaceId)).map(summaryView) };
  }

  async get(workspaceId: string, appId: string): Promise<App> {
    const app = await this.app(workspaceId, appId);
    return appView(app, await this.repository.listVersions(workspaceId, appId));
  }

  async addVersion(workspaceId: string, appId: string, actor: Actor, manifest: AppManifest): Promise<AppVersion> {
    const app = await this.app(workspaceId, appId);
    if (manifest.name !== app.name) {
      throw badRequest(`the manifest names app ${manifest.name}, not ${app.name}: an app keeps its name`);
    }
    const version = draft(app, manifest, actor, this.now());
    if (!(await this.repository.insertVersion(version))) throw conflict(`app ${app.name} has a version ${manifest.version}`);
    return versionView(version);
  }

  async submit(workspaceId: string, appId: string, version: string, actor: Actor): Promise<AppVersion> {
    return versionView(await applyAction(this.repository, this.now(), await this.version(workspaceId, appId, version), 'submit', actor));
  }

  /** The version becomes the one the marketplace lists. */
  async publish(workspaceId: string, appId: string, version: string, actor: Actor): Promise<AppVersion> {
    return versionView(await applyAction(this.repository, this.now(), await this.version(workspaceId, appId, version), 'publish', actor));
  }

  async audit(workspaceId: string, appId: string): Promise<AppAuditTrail> {
    await this.app(workspaceId, appId);
    return { items: (await this.repository.auditTrail(workspaceId, appId)).map(auditView) };
  }

  /** For deployments: the version, if a platform admin approved it; else 409 saying why. */
  async deployableVersion(workspaceId: string, appId: string, version: string): Promise<AppVersionRecord> {
    const found = await this.version(workspaceId, appId, version);
    if (!canDeploy(found)) {
      throw conflict(`version ${version} is ${found.status}: only approved or published versions can be deployed`);
    }
    return found;
  }

  private async app(workspaceId: string, appId: string): Promise<AppRecord> {
    const app = await this.repository.findApp(workspaceId, appId);
    if (!app) throw notFound('app');
    return app;
  }

  private async version(workspaceId: string, appId: string, version: string): Promise<AppVersionRecord> {
    await this.app(workspaceId, appId);
    const found = await this.repository.findVersion(workspaceId, appId, version);
    if (!found) throw notFound('app version');
    return found;
  }
}

function draft(app: AppRecord, manifest: AppManifest, actor: Actor, at: number): AppVersionRecord {
  return {
    workspaceId: app.workspaceId,
    appId: app.appId,
    version: manifest.version,
    status: 'draft',
    manifest,
    createdAt: at,
    createdBy: actor,
    updatedAt: at,
  };
}
