import { migrate, type Migration, type SqliteDatabase, type SqliteStatement } from '@citus/sqlite';
import type { CheckpointStore } from '../../domain/change-feed.port.js';

/** Migration module name; the table can live in any SQLite file the wiring chooses. */
export const CHECKPOINT_MODULE = 'indexer-checkpoints';

export const CHECKPOINT_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `CREATE TABLE indexer_checkpoints (
      consumer TEXT NOT NULL,
      partition TEXT NOT NULL,
      position TEXT,
      finished INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (consumer, partition)
    ) WITHOUT ROWID`,
  },
];

/**
 * Consumer positions in SQLite, for the embedded indexer. Each save is its own committed
 * transaction (the file's `synchronous` setting decides whether it survives a power cut; the
 * default `full` does), so a restarted consumer resumes where `handle` last succeeded. The
 * database handle belongs to the caller, who also closes it.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly statements: {
    load: SqliteStatement;
    save: SqliteStatement;
    finish: SqliteStatement;
    finished: SqliteStatement;
  };

  constructor(db: SqliteDatabase) {
    migrate(db, CHECKPOINT_MODULE, CHECKPOINT_MIGRATIONS);
    this.statements = {
      load: db.prepare('SELECT position FROM indexer_checkpoints WHERE consumer = ? AND partition = ?').pluck(),
      save: db.prepare(
        `INSERT INTO indexer_checkpoints (consumer, partition, position, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (consumer, partition) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
      ),
      finish: db.prepare(
        `INSERT INTO indexer_checkpoints (consumer, partition, finished, updated_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (consumer, partition) DO UPDATE SET finished = 1, updated_at = excluded.updated_at`,
      ),
      finished: db.prepare('SELECT finished FROM indexer_checkpoints WHERE consumer = ? AND partition = ?').pluck(),
    };
  }

  async load(consumer: string, partition: string): Promise<string | undefined> {
    const position = this.statements.load.get(consumer, partition) as string | null | undefined;
    return position ?? undefined;
  }

  async save(consumer: string, partition: string, position: string): Promise<void> {
    this.statements.save.run(consumer, partition, position, Date.now());
  }

  async markFinished(consumer: string, partition: string): Promise<void> {
    this.statements.finish.run(consumer, partition, Date.now());
  }

  async isFinished(consumer: string, partition: string): Promise<boolean> {
    return this.statements.finished.get(consumer, partition) === 1;
  }
}
