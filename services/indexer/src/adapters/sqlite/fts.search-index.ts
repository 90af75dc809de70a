import { badRequest } from '@citus/kit';
import { openDatabase, type SqliteDatabase, type SqliteStatement } from '@citus/sqlite';
import type {
  DeviceDocument,
  SearchHit,
  SearchIndex,
  SearchPage,
  SearchQuery,
  TelemetryDocument,
} from '../../domain/search-index.port.js';
import { SEARCH_MIGRATIONS } from './search.migrations.js';
import { matchExpression, searchTerms } from './search-terms.js';

interface DocumentRow {
  doc_rowid: number;
  kind: 'telemetry' | 'device';
  doc_key: string;
  workspace_id: string;
  thing_name: string;
  topic: string | null;
  epoch: number | null;
  label: string | null;
  unit: string | null;
  value: number | null;
  name: string | null;
  type: string | null;
  location: string | null;
  score: number;
}

/** Where the previous page ended: its last hit's score and rowid (the tie-break). */
interface Position {
  score: number;
  rowid: number;
}

/** Column weights for bm25, in `search_fts` order: a device name or a label says more than free text. */
const WEIGHTS = '4.0, 2.0, 2.0, 1.0';

/** A document not yet indexed (the usual case): its text needs no removal first. */
const INSERT_NEW_DOCUMENT = `
  INSERT OR IGNORE INTO search_documents (kind, doc_key, workspace_id, thing_name, topic, epoch, label, unit, value, name, type, location)
  VALUES (@kind, @key, @workspaceId, @thingName, @topic, @epoch, @label, @unit, @value, @name, @type, @location)
  RETURNING doc_rowid`;

const UPSERT_DOCUMENT = `
  INSERT INTO search_documents (kind, doc_key, workspace_id, thing_name, topic, epoch, label, unit, value, name, type, location)
  VALUES (@kind, @key, @workspaceId, @thingName, @topic, @epoch, @label, @unit, @value, @name, @type, @location)
  ON CONFLICT (workspace_id, kind, doc_key) DO UPDATE SET
    thing_name = excluded.thing_name, topic = excluded.topic, epoch = excluded.epoch, label = excluded.label,
    unit = excluded.unit, value = excluded.value, name = excluded.name, type = excluded.type, location = excluded.location
  RETURNING doc_rowid`;

// Scores are bm25 negated (higher is better, as Elasticsearch's _score). The MATCH runs over every
// workspace's text and the join narrows to the caller's: FTS5 cannot filter inside the match.
const SEARCH = `
  WITH hits AS (
    SELECT rowid AS doc_rowid, -bm25(search_fts, ${WEIGHTS}) AS score FROM search_fts WHERE search_fts MATCH @match
  )
  SELECT d.*, hits.score AS score FROM hits JOIN search_documents d ON d.doc_rowid = hits.doc_rowid
  WHERE d.workspace_id = @workspaceId
    AND (@kind IS NULL OR d.kind = @kind)
    AND (@thingName IS NULL OR d.thing_name = @thingName)
    AND (@from IS NULL OR d.epoch >= @from)
    AND (@to IS NULL OR d.epoch <= @to)
    AND (@afterScore IS NULL OR hits.score < @afterScore OR (hits.score = @afterScore AND d.doc_rowid > @afterRowid))
  ORDER BY hits.score DESC, d.doc_rowid ASC
  LIMIT @limit`;

/**
 * The embedded search index: SQLite FTS5 in its own file. Every call runs in one transaction that
 * is durable when it returns (synchronous FULL), so a checkpoint saved after an upsert never gets
 * ahead of the index.
 */
export class FtsSearchIndex implements SearchIndex {
  private readonly insertNewDocument: SqliteStatement;
  private readonly upsertDocument: SqliteStatement;
  private readonly deleteText: SqliteStatement;
  private readonly insertText: SqliteStatement;
  private readonly findDevice: SqliteStatement;
  private readonly deleteDocument: SqliteStatement;
  private readonly searchStatement: SqliteStatement;

  private constructor(private readonly db: SqliteDatabase) {
    this.insertNewDocument = db.prepare(INSERT_NEW_DOCUMENT).pluck();
    this.upsertDocument = db.prepare(UPSERT_DOCUMENT).pluck();
    this.deleteText = db.prepare('DELETE FROM search_fts WHERE rowid = ?');
    this.insertText = db.prepare('INSERT INTO search_fts (rowid, name, label, unit, text) VALUES (?, ?, ?, ?, ?)');
    this.findDevice = db
      .prepare("SELECT doc_rowid FROM search_documents WHERE workspace_id = ? AND kind = 'device' AND doc_key = ?")
      .pluck();
    this.deleteDocument = db.prepare('DELETE FROM search_documents WHERE doc_rowid = ?');
    this.searchStatement = db.prepare(SEARCH);
  }

  /** Opens (creating it) the index file `file`, e.g. `search.db` in the data directory. */
  static open(file: string): FtsSearchIndex {
    return new FtsSearchIndex(openDatabase(file, { module: 'search', migrations: SEARCH_MIGRATIONS }));
  }

  async upsertTelemetry(documents: TelemetryDocument[]): Promise<void> {
    this.db.transaction(() => {
      for (const doc of documents) {
        const columns = {
          ...EMPTY_COLUMNS,
          kind: 'telemetry',
          key: doc.id,
          workspaceId: doc.workspaceId,
          thingName: doc.thingName,
          topic: doc.topic,
          epoch: doc.epoch,
          label: doc.label ?? null,
          unit: doc.unit ?? null,
          value: doc.value ?? null,
        };
        const text: [null, string | null, string | null, string] = [null, doc.label ?? null, doc.unit ?? null, doc.text];
        // Records arrive once, except after a restart (at-least-once): only those replace a document.
        const fresh = this.insertNewDocument.get(columns) as number | undefined;
        if (fresh !== undefined) this.insertText.run(fresh, ...text);
        else this.replaceText(this.upsertDocument.get(columns) as number, text);
      }
    })();
  }

  async upsertDevices(documents: DeviceDocument[]): Promise<void> {
    this.db.transaction(() => {
      for (const doc of documents) {
        const rowid = this.upsertDocument.get({
          ...EMPTY_COLUMNS,
          kind: 'device',
          key: doc.thingName,
          workspaceId: doc.workspaceId,
          thingName: doc.thingName,
          name: doc.name,
          type: doc.type ?? null,
          location: doc.location ?? null,
        }) as number;
        this.replaceText(rowid, [doc.name, null, null, deviceText(doc)]);
      }
    })();
  }

  async removeDevice(workspaceId: string, thingName: string): Promise<void> {
    this.db.transaction(() => {
      const rowid = this.findDevice.get(workspaceId, thingName) as number | undefined;
      if (rowid === undefined) return;
      this.deleteText.run(rowid);
      this.deleteDocument.run(rowid);
    })();
  }

  async search(workspaceId: string, query: SearchQuery): Promise<SearchPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const terms = searchTerms(query.text);
    // Text with no letter or digit asks for nothing; FTS5 would reject an empty MATCH.
    if (terms.length === 0) return { items: [] };
    const rows = this.searchStatement.all({
      match: matchExpression(terms),
      workspaceId,
      kind: query.kind ?? null,
      thingName: query.thingName ?? null,
      from: query.from ?? null,
      to: query.to ?? null,
      afterScore: after?.score ?? null,
      afterRowid: after?.rowid ?? null,
      limit: query.limit + 1,
    }) as DocumentRow[];
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const more = rows.length > query.limit && last !== undefined;
    return more ? { items: page.map(toHit), next: encodeCursor({ score: last.score, rowid: last.doc_rowid }) } : { items: page.map(toHit) };
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private replaceText(rowid: number, columns: [string | null, string | null, string | null, string]): void {
    this.deleteText.run(rowid);
    this.insertText.run(rowid, ...columns);
  }
}

const EMPTY_COLUMNS = { topic: null, epoch: null, label: null, unit: null, value: null, name: null, type: null, location: null };

/** A device's free text: what a user may remember it by besides its name. */
export const deviceText = (doc: DeviceDocument): string =>
  [doc.thingName, doc.type, doc.location].filter((part) => part !== undefined).join(' ');

function toHit(row: DocumentRow): SearchHit {
  if (row.kind === 'device') {
    const device: DeviceDocument = { workspaceId: row.workspace_id, thingName: row.thing_name, name: row.name ?? '' };
    if (row.type !== null) device.type = row.type;
    if (row.location !== null) device.location = row.location;
    return { kind: 'device', score: row.score, device };
  }
  const telemetry: Extract<SearchHit, { kind: 'telemetry' }>['telemetry'] = {
    id: row.doc_key,
    workspaceId: row.workspace_id,
    thingName: row.thing_name,
    topic: row.topic ?? '',
    epoch: row.epoch ?? 0,
  };
  if (row.label !== null) telemetry.label = row.label;
  if (row.unit !== null) telemetry.unit = row.unit;
  if (row.value !== null) telemetry.value = row.value;
  return { kind: 'telemetry', score: row.score, telemetry };
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.score, position.rowid])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && Number.isSafeInteger(value[1])) {
      return { score: value[0] as number, rowid: value[1] as number };
    }
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw badRequest('invalid search cursor');
}
