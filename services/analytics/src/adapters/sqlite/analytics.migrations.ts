import type { Migration } from '@citus/sqlite';

export const ANALYTICS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE analytics_series (
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        stream TEXT NOT NULL,
        field TEXT NOT NULL,
        detector TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        last_epoch INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, thing_name, stream, field)
      ) WITHOUT ROWID;

      CREATE TABLE anomalies (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        stream TEXT NOT NULL,
        field TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        value REAL NOT NULL,
        score REAL NOT NULL,
        detector TEXT NOT NULL,
        detected_at INTEGER NOT NULL
      );
      -- A point is an anomaly at most once, whatever a replay does.
      CREATE UNIQUE INDEX anomalies_point ON anomalies (workspace_id, thing_name, stream, field, epoch);
      CREATE INDEX anomalies_newest ON anomalies (workspace_id, epoch DESC, id DESC);
      CREATE INDEX anomalies_thing_newest ON anomalies (workspace_id, thing_name, epoch DESC, id DESC);

      CREATE TABLE analytics_workspace_settings (
        workspace_id TEXT PRIMARY KEY,
        detector TEXT NOT NULL,
        threshold REAL,
        enabled INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE analytics_series_settings (
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        stream TEXT NOT NULL,
        field TEXT NOT NULL,
        detector TEXT,
        threshold REAL,
        enabled INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, thing_name, stream, field)
      ) WITHOUT ROWID;
    `,
  },
];
