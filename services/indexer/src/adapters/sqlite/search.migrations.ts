import type { Migration } from '@citus/sqlite';

/**
 * `search_documents` holds what a hit returns, keyed so a rewrite replaces (telemetry by workspace
 * and id, devices by workspace and thing name); `search_fts` holds the searchable text under the
 * same rowid. One FTS table for both kinds keeps their bm25 scores comparable, so one ranked list
 * and one cursor cover telemetry and devices together.
 */
export const SEARCH_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE search_documents (
        doc_rowid INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('telemetry', 'device')),
        doc_key TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        thing_name TEXT NOT NULL,
        topic TEXT,
        epoch INTEGER,
        label TEXT,
        unit TEXT,
        value REAL,
        name TEXT,
        type TEXT,
        location TEXT,
        UNIQUE (workspace_id, kind, doc_key)
      );
      CREATE VIRTUAL TABLE search_fts USING fts5(name, label, unit, text, tokenize = 'unicode61 remove_diacritics 2');
    `,
  },
];
