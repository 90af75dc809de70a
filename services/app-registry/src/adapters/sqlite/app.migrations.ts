import type { Migration } from '@citus/sqlite';

/** `apps.db`: apps, their versions, the audit trail of every status change, and deployments. */
export const APP_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE apps (
        app_id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        workspace_slug TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        listed_version TEXT,
        UNIQUE (workspace_id, name)
      );
      CREATE INDEX apps_listed ON apps (name, app_id) WHERE listed_version IS NOT NULL;
      CREATE TABLE app_versions (
        workspace_id TEXT NOT NULL,
        app_id TEXT NOT NULL REFERENCES apps (app_id),
        version TEXT NOT NULL,
        -- Creation order: semantic versions do not sort as text.
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        manifest TEXT NOT NULL,
        -- From the manifest, for the marketplace's search and filter.
        description TEXT NOT NULL,
        category TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        rejection_reason TEXT,
        PRIMARY KEY (app_id, version)
      ) WITHOUT ROWID;
      CREATE INDEX app_versions_pending ON app_versions (updated_at) WHERE status = 'pending_review';
      CREATE TABLE app_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL,
        app_id TEXT NOT NULL REFERENCES apps (app_id),
        version TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        at INTEGER NOT NULL,
        reason TEXT
      );
      CREATE INDEX app_audit_by_app ON app_audit (app_id, id);`,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE deployments (
        deployment_id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        workspace_slug TEXT NOT NULL,
        app_id TEXT NOT NULL REFERENCES apps (app_id),
        -- The {app} of /apps/{workspace}/{app}/: one deployment per app name in a workspace.
        app_name TEXT NOT NULL,
        version TEXT NOT NULL,
        container_name TEXT NOT NULL UNIQUE,
        host_port INTEGER NOT NULL UNIQUE,
        route_prefix TEXT NOT NULL,
        -- JSON objects of name -> value. secret_env holds the secrets' values in clear: the file is
        -- the platform's own (mode 0600 in the data dir), and the engine needs them in clear to start
        -- the container again. The API never returns them and nothing logs them.
        env TEXT NOT NULL,
        secret_env TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        UNIQUE (workspace_id, app_name)
      );
      CREATE INDEX deployments_by_app ON deployments (workspace_id, app_id, created_at);`,
  },
  {
    version: 3,
    sql: `
      -- Set by platform admins only: 1 lets the app's webhook versions skip the review queue.
      ALTER TABLE apps ADD COLUMN auto_approve INTEGER NOT NULL DEFAULT 0;
      -- 'tag' or 'pinned'. An installed app's publisher (another workspace) is kept in source_*.
      ALTER TABLE deployments ADD COLUMN follow TEXT NOT NULL DEFAULT 'pinned';
      ALTER TABLE deployments ADD COLUMN source_workspace_id TEXT;
      ALTER TABLE deployments ADD COLUMN source_workspace_slug TEXT;
      -- One webhook per app; only a SHA-256 of its secret (32 random bytes) is kept.
      CREATE TABLE app_webhooks (
        hook_id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL UNIQUE REFERENCES apps (app_id),
        workspace_id TEXT NOT NULL,
        secret_sha256 BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
      );`,
  },
  {
    version: 4,
    sql: `
      -- The deployment's own API key (issued by the portal, which keeps only its hash): kept here,
      -- like secret_env, so a restarted container gets the same key; never returned by the API.
      ALTER TABLE deployments ADD COLUMN api_key_id TEXT;
      ALTER TABLE deployments ADD COLUMN api_key TEXT;`,
  },
  {
    version: 5,
    sql: `
      -- Secret values and the API key are sealed from now on (AES-256-GCM under secrets.key in the
      -- data dir, the key analytics seals workspace secrets with), each bound to its deployment and
      -- purpose: secret_env maps each name (in clear) to its sealed value, api_key is the sealed key
      -- (api_key_id stays in clear). sealed = 0 marks a row written before, in clear: the service
      -- seals those at start (SqliteDeploymentRepository).
      ALTER TABLE deployments ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 6,
    sql: `
      -- The manifest's healthCheck of the version the deployment runs (JSON), which the platform
      -- probes; NULL for rows from before, which are not checked.
      ALTER TABLE deployments ADD COLUMN health_check TEXT;`,
  },
  {
    version: 7,
    sql: `
      -- With follow = 'tag': the one image tag followed; NULL follows every newer approved version.
      ALTER TABLE deployments ADD COLUMN follow_tag TEXT;`,
  },
  {
    version: 8,
    sql: `
      -- The port the app listens on inside its container when its manifest names one; NULL: host_port.
      ALTER TABLE deployments ADD COLUMN container_port INTEGER;`,
  },
];
